"""Mail to an organizer is decided once: its dedupe key is unique per organizer (the password
reset's link, a webhook endpoint's switch-off), as a registrant's is per registration.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 09:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbound_mails', schema=None) as batch_op:
        batch_op.create_index('uq_outbound_mails_organizer_dedupe', ['organizer_id', 'dedupe_key'], unique=True,
                              postgresql_where=sa.text('registration_id IS NULL'),
                              sqlite_where=sa.text('registration_id IS NULL'))


def downgrade():
    with op.batch_alter_table('outbound_mails', schema=None) as batch_op:
        batch_op.drop_index('uq_outbound_mails_organizer_dedupe', postgresql_where=sa.text('registration_id IS NULL'),
                            sqlite_where=sa.text('registration_id IS NULL'))
