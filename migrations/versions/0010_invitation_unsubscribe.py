"""Invitations' own unsubscribe token: a follow-up consent gets a withdraw token that can do
nothing but withdraw (the consent token also confirms and shows the address).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 05:10:00

"""
import secrets

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('follow_up_consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdraw_token', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM follow_up_consents"))]
    for consent_id in ids:
        connection.execute(sa.text("UPDATE follow_up_consents SET withdraw_token = :token WHERE id = :id"),
                           {"token": secrets.token_urlsafe(32), "id": consent_id})
    with op.batch_alter_table('follow_up_consents', schema=None) as batch_op:
        batch_op.alter_column('withdraw_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_follow_up_consents_withdraw_token'), ['withdraw_token'])


def downgrade():
    with op.batch_alter_table('follow_up_consents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_follow_up_consents_withdraw_token'), type_='unique')
        batch_op.drop_column('withdraw_token')
