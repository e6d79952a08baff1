"""Reading as on grand-challenge: question kinds for all of its answer types, choices as rows
of their question (answers hold the option's id, as its CategoricalOption), a question's widget,
viewport, empty-answer confirmation and default-answer socket; the study's reading settings;
a case's title, order and text; an explanation beside the ground truth; viewer configurations
and hanging protocols, which a study shows its cases with.

Existing data is converted: the choices in a question's options become its option rows and
every answer and ground truth of a choice question the id of its option; annotation answers get
grand-challenge's ``version``; text and choice questions get their first widget, a number
with bounds the number-input widget, an annotation question the main viewport.

Revision ID: 0012_reading
Revises: 0011_results_version
Create Date: 2026-12-02 19:13:24

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0012_reading'
down_revision: Union[str, Sequence[str], None] = '0011_results_version'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KINDS = (
    'heading', 'bool', 'string', 'integer', 'float', 'choice', 'multiple-choice', 'point', 'multiple-points',
    '2d-bounding-box', 'multiple-2d-bounding-boxes', 'distance', 'multiple-distances', 'polygon',
    'multiple-polygons', 'line', 'multiple-lines', 'angle', 'multiple-angles', 'three-point-angle',
    'multiple-three-point-angles', 'ellipse', 'multiple-ellipses',
)
OLD_KINDS = ('bool', 'choice', 'multiple-choice', 'integer', 'float', 'string', 'point', 'multiple-points',
             '2d-bounding-box')
OLD_ANNOTATIONS = ('point', 'multiple-points', '2d-bounding-box')
VERSION = {"major": 1, "minor": 0}

questions = sa.table('questions', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                     sa.column('options', sa.JSON), sa.column('widget', sa.String), sa.column('viewport', sa.String))
options_table = sa.table('question_options', sa.column('id', sa.Integer), sa.column('question_id', sa.Integer),
                         sa.column('position', sa.Integer), sa.column('title', sa.Text),
                         sa.column('default', sa.Boolean))
answer_tables = [sa.table(name, sa.column('id', sa.Integer), sa.column('question_id', sa.Integer),
                          sa.column('value', sa.JSON)) for name in ('answers', 'ground_truth_answers')]


def _convert_values(connection, question_id, convert):
    for table in answer_tables:
        rows = connection.execute(sa.select(table.c.id, table.c.value).where(table.c.question_id == question_id))
        for row_id, value in rows.all():
            new = convert(value)
            if new != value:
                connection.execute(table.update().where(table.c.id == row_id).values(value=new))


def _map_choice(value, mapping):
    if isinstance(value, list):
        return [mapping.get(item, item) for item in value]
    return mapping.get(value, value) if value is not None else None


def upgrade() -> None:
    op.create_table('question_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('default', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_options_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_options'))
    )
    with op.batch_alter_table('question_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_options_question_id'), ['question_id'], unique=False)

    with op.batch_alter_table('ground_truth_answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('explanation', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('widget', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('viewport', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('empty_answer_confirmation', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('empty_answer_confirmation_label', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('default_socket_id', sa.Integer(), nullable=True))
        batch_op.alter_column('kind',
               existing_type=sa.VARCHAR(length=15),
               type_=sa.Enum(*KINDS, name='answerkind', native_enum=False),
               existing_nullable=False)
        batch_op.create_index(batch_op.f('ix_questions_default_socket_id'), ['default_socket_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_questions_default_socket_id_sockets'), 'sockets', ['default_socket_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('reader_studies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_case_navigation', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('allow_answer_modification', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('shuffle_case_order', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('roll_over_answers_for_n_cases', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('instant_verification', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('leaderboard_accessible_to_readers', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('end_of_study_text', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('reader_study_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('order', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('text', sa.Text(), server_default='', nullable=False))

    for name in ('hanging_protocols', 'viewer_configurations'):
        document = 'layout' if name == 'hanging_protocols' else 'settings'
        op.create_table(name,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column(document, sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('title', sa.String(length=255), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('slug', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
        sa.UniqueConstraint('slug', name=op.f(f'uq_{name}_slug'))
        )
    with op.batch_alter_table('reader_studies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('viewer_configuration_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hanging_protocol_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('view_content', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), server_default='{}', nullable=False))
        batch_op.create_index(batch_op.f('ix_reader_studies_hanging_protocol_id'), ['hanging_protocol_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reader_studies_viewer_configuration_id'), ['viewer_configuration_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reader_studies_viewer_configuration_id_viewer_configurations'), 'viewer_configurations', ['viewer_configuration_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_reader_studies_hanging_protocol_id_hanging_protocols'), 'hanging_protocols', ['hanging_protocol_id'], ['id'], ondelete='SET NULL')

    connection = op.get_bind()
    for question_id, kind, options in connection.execute(sa.select(questions.c.id, questions.c.kind, questions.c.options)).all():
        options = dict(options or {})
        choices = options.pop('choices', [])
        mapping = {}
        for position, title in enumerate(choices):
            insert = options_table.insert().values(question_id=question_id, position=position, title=title, default=False)
            mapping[title] = connection.execute(insert.returning(options_table.c.id)).scalar_one()
        widget = {'string': 'text-input', 'choice': 'radio-select'}.get(kind, '')
        if kind in ('integer', 'float') and ('minimum' in options or 'maximum' in options):
            widget = 'number-input'
        viewport = 'main' if kind in OLD_ANNOTATIONS else ''
        connection.execute(questions.update().where(questions.c.id == question_id).values(options=options, widget=widget, viewport=viewport))
        if mapping:
            _convert_values(connection, question_id, lambda value: _map_choice(value, mapping))
        if kind in OLD_ANNOTATIONS:
            _convert_values(connection, question_id, lambda value: {**value, 'version': VERSION} if isinstance(value, dict) and 'version' not in value else value)


def downgrade() -> None:
    connection = op.get_bind()
    for question_id, options in connection.execute(sa.select(questions.c.id, questions.c.options)).all():
        rows = connection.execute(sa.select(options_table.c.id, options_table.c.title).where(options_table.c.question_id == question_id).order_by(options_table.c.position)).all()
        if rows:
            mapping = {row_id: title for row_id, title in rows}
            connection.execute(questions.update().where(questions.c.id == question_id).values(options={**(options or {}), 'choices': [title for _, title in rows]}))
            _convert_values(connection, question_id, lambda value: _map_choice(value, mapping))

    with op.batch_alter_table('reader_studies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reader_studies_hanging_protocol_id_hanging_protocols'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_reader_studies_viewer_configuration_id_viewer_configurations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reader_studies_viewer_configuration_id'))
        batch_op.drop_index(batch_op.f('ix_reader_studies_hanging_protocol_id'))
        batch_op.drop_column('view_content')
        batch_op.drop_column('hanging_protocol_id')
        batch_op.drop_column('viewer_configuration_id')
    op.drop_table('viewer_configurations')
    op.drop_table('hanging_protocols')

    with op.batch_alter_table('reader_study_cases', schema=None) as batch_op:
        batch_op.drop_column('text')
        batch_op.drop_column('order')
        batch_op.drop_column('title')

    with op.batch_alter_table('reader_studies', schema=None) as batch_op:
        batch_op.drop_column('end_of_study_text')
        batch_op.drop_column('leaderboard_accessible_to_readers')
        batch_op.drop_column('instant_verification')
        batch_op.drop_column('roll_over_answers_for_n_cases')
        batch_op.drop_column('shuffle_case_order')
        batch_op.drop_column('allow_answer_modification')
        batch_op.drop_column('allow_case_navigation')

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_questions_default_socket_id_sockets'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_questions_default_socket_id'))
        batch_op.alter_column('kind',
               existing_type=sa.Enum(*KINDS, name='answerkind', native_enum=False),
               type_=sa.VARCHAR(length=15),
               existing_nullable=False)
        batch_op.drop_column('default_socket_id')
        batch_op.drop_column('empty_answer_confirmation_label')
        batch_op.drop_column('empty_answer_confirmation')
        batch_op.drop_column('viewport')
        batch_op.drop_column('widget')

    with op.batch_alter_table('ground_truth_answers', schema=None) as batch_op:
        batch_op.drop_column('explanation')

    with op.batch_alter_table('question_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_options_question_id'))

    op.drop_table('question_options')
