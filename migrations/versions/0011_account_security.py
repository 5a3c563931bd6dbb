"""Organizer accounts that survive a stolen password: session versions and server-side sessions,
sign-ins and failed attempts, disabled accounts, password-reset links (mail to an organizer goes
through the outbox, so an outbox row names a registration or an organizer), TOTP with recovery
codes, and passkeys.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organizer_passkeys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.String(length=1400), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizers.id'], name=op.f('fk_organizer_passkeys_organizer_id_organizers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizer_passkeys')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_organizer_passkeys_credential_id'))
    )
    with op.batch_alter_table('organizer_passkeys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizer_passkeys_organizer_id'), ['organizer_id'], unique=False)

    op.create_table('organizer_recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizers.id'], name=op.f('fk_organizer_recovery_codes_organizer_id_organizers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizer_recovery_codes'))
    )
    with op.batch_alter_table('organizer_recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizer_recovery_codes_organizer_id'), ['organizer_id'], unique=False)

    op.create_table('organizer_sign_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('failure', sa.String(length=16), nullable=True),
    sa.Column('session_hash', sa.String(length=64), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizers.id'], name=op.f('fk_organizer_sign_ins_organizer_id_organizers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizer_sign_ins')),
    sa.UniqueConstraint('session_hash', name=op.f('uq_organizer_sign_ins_session_hash'))
    )
    with op.batch_alter_table('organizer_sign_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizer_sign_ins_organizer_id_created_at'), ['organizer_id', 'created_at'], unique=False)

    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizers.id'], name=op.f('fk_password_resets_organizer_id_organizers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash'))
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_resets_organizer_id'), ['organizer_id'], unique=False)

    with op.batch_alter_table('organizers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))

    with op.batch_alter_table('outbound_mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organizer_id', sa.Integer(), nullable=True))
        batch_op.alter_column('registration_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_outbound_mails_organizer_id'), ['organizer_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbound_mails_organizer_id_organizers'), 'organizers', ['organizer_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(op.f('ck_outbound_mails_recipient'),
                                         'registration_id IS NOT NULL OR organizer_id IS NOT NULL')



def downgrade():
    # Mail to organizers has no place in the older outbox (a registrant's row only).
    op.execute(sa.text('DELETE FROM outbound_mails WHERE registration_id IS NULL'))
    with op.batch_alter_table('outbound_mails', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbound_mails_recipient'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_outbound_mails_organizer_id_organizers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbound_mails_organizer_id'))
        batch_op.alter_column('registration_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('organizer_id')

    with op.batch_alter_table('organizers', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('language')
        batch_op.drop_column('disabled_at')
        batch_op.drop_column('session_version')

    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_resets_organizer_id'))

    op.drop_table('password_resets')
    with op.batch_alter_table('organizer_sign_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizer_sign_ins_organizer_id_created_at'))

    op.drop_table('organizer_sign_ins')
    with op.batch_alter_table('organizer_recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizer_recovery_codes_organizer_id'))

    op.drop_table('organizer_recovery_codes')
    with op.batch_alter_table('organizer_passkeys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizer_passkeys_organizer_id'))

    op.drop_table('organizer_passkeys')
