"""Mail delivery: the relay of each mail, hourly caps per domain, bounces.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 20:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('queued', 'sending', 'sent', 'failed')"
NEW_STATUSES = "status IN ('queued', 'sending', 'sent', 'failed', 'bounced')"


def upgrade():
    with op.batch_alter_table('outbound_mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('route', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('rate_key', sa.String(length=255), nullable=True))
        batch_op.create_index('ix_outbound_mails_rate_key_sent_at', ['rate_key', 'sent_at'], unique=False)
        batch_op.drop_constraint(op.f('ck_outbound_mails_status'), type_='check')
        batch_op.create_check_constraint('status', NEW_STATUSES)
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_bounced_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('email_bounced_at')
    op.execute("UPDATE outbound_mails SET status = 'failed' WHERE status = 'bounced'")
    with op.batch_alter_table('outbound_mails', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbound_mails_status'), type_='check')
        batch_op.create_check_constraint('status', OLD_STATUSES)
        batch_op.drop_index('ix_outbound_mails_rate_key_sent_at')
        batch_op.drop_column('rate_key')
        batch_op.drop_column('route')
