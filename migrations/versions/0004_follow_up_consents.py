"""Double opt-in consent to invitations to follow-up events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_up_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_version', sa.String(length=20), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_follow_up_consents_email_lowercase')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_follow_up_consents_registration_id_registrations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_consents')),
    sa.UniqueConstraint('email', name=op.f('uq_follow_up_consents_email')),
    sa.UniqueConstraint('token', name=op.f('uq_follow_up_consents_token'))
    )


def downgrade():
    op.drop_table('follow_up_consents')
