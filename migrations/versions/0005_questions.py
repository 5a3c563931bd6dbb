"""The organizer's own questions per event, and the registrants' answers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('questions', JSON, nullable=False, server_default='[]'))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answers', JSON, nullable=False, server_default='{}'))


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('answers')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('questions')
