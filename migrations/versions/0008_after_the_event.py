"""After the event: feedback questions and answers, the organizer's follow-up paragraph and when
the follow-up mails went out, and the id in a certificate's verification link.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 05:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feedback', JSON, server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('follow_up_texts', JSON, server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('follow_up_sent_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_id', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_registrations_certificate_id'), ['certificate_id'])

    op.create_table('feedback_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('answers', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_feedback_responses_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_feedback_responses_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_responses')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_feedback_responses_registration_id'))
    )
    with op.batch_alter_table('feedback_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_responses_event_id'), ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('feedback_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_responses_event_id'))
    op.drop_table('feedback_responses')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registrations_certificate_id'), type_='unique')
        batch_op.drop_column('certificate_id')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('follow_up_sent_at')
        batch_op.drop_column('follow_up_texts')
        batch_op.drop_column('feedback')
