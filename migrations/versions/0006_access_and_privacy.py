"""Access per event and privacy: organizer roles, event grants, API tokens narrowed to an event
and expiring; a registration's own unsubscribe token and the time its data was erased.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:30:00

"""
import secrets
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Existing accounts keep seeing every event, as before.
    with op.batch_alter_table('organizers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), server_default='admin', nullable=False))
        batch_op.create_check_constraint(op.f('ck_organizers_role'), "role IN ('admin', 'organizer', 'checkin')")

    op.create_table('event_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_grants_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizers.id'], name=op.f('fk_event_grants_organizer_id_organizers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_grants')),
    sa.UniqueConstraint('organizer_id', 'event_id', name='uq_event_grants_organizer_event')
    )
    with op.batch_alter_table('event_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_grants_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_grants_organizer_id'), ['organizer_id'], unique=False)

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_api_tokens_event_id_events'), 'events', ['event_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_api_tokens_event_id'), ['event_id'], unique=False)
    # Tokens made before tokens expired get a year from now (UTC, stored as the app stores it).
    expires = datetime.now(timezone.utc) + timedelta(days=365)
    if op.get_bind().dialect.name == 'sqlite':
        expires = expires.replace(tzinfo=None)
    op.execute(sa.text("UPDATE api_tokens SET expires_at = :expires").bindparams(expires=expires))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=False)


    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unsubscribe_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    # Every registration gets an unsubscribe token of its own; its manage token leaves the mail headers.
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM registrations"))]
    for registration_id in ids:
        connection.execute(sa.text("UPDATE registrations SET unsubscribe_token = :token WHERE id = :id"),
                           {"token": secrets.token_urlsafe(32), "id": registration_id})
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.alter_column('unsubscribe_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_registrations_unsubscribe_token'), ['unsubscribe_token'])


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registrations_unsubscribe_token'), type_='unique')
        batch_op.drop_column('erased_at')
        batch_op.drop_column('unsubscribe_token')

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_event_id'))
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_event_id_events'), type_='foreignkey')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('event_id')

    with op.batch_alter_table('event_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_grants_organizer_id'))
        batch_op.drop_index(batch_op.f('ix_event_grants_event_id'))
    op.drop_table('event_grants')

    with op.batch_alter_table('organizers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organizers_role'), type_='check')
        batch_op.drop_column('role')
