"""Initial schema: sockets and values, images and uploads, archives, algorithms and jobs,
challenges, phases, submissions and evaluations, reader studies, roles and join requests.

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 01:58:25.366909

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('algorithms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('container_image', sa.String(length=512), nullable=True),
    sa.Column('container_digest', sa.String(length=128), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('cpu_limit', sa.Double(), nullable=False),
    sa.Column('memory_limit_mb', sa.Integer(), nullable=False),
    sa.Column('time_limit_s', sa.Integer(), nullable=False),
    sa.Column('gpu', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_algorithms')),
    sa.UniqueConstraint('slug', name=op.f('uq_algorithms_slug'))
    )
    op.create_table('archives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archives')),
    sa.UniqueConstraint('slug', name=op.f('uq_archives_slug'))
    )
    op.create_table('challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges')),
    sa.UniqueConstraint('slug', name=op.f('uq_challenges_slug'))
    )
    op.create_table('images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('dimensions', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('spacing', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('origin', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('direction', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('pixel_type', sa.String(length=64), nullable=False),
    sa.Column('color_space', sa.Enum('gray', 'rgb', 'rgba', 'ycbcr', name='colorspace', native_enum=False), nullable=False),
    sa.Column('window_center', sa.Double(), nullable=True),
    sa.Column('window_width', sa.Double(), nullable=True),
    sa.Column('modality', sa.String(length=16), nullable=True),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_images'))
    )
    op.create_index(op.f('ix_images_sha256'), 'images', ['sha256'])
    op.create_table('reader_studies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_studies')),
    sa.UniqueConstraint('slug', name=op.f('uq_reader_studies_slug'))
    )
    op.create_table('sockets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('image', 'segmentation', 'heat-map', 'string', 'integer', 'float', 'bool', 'any', 'choice', 'multiple-choice', '2d-bounding-box', 'point', 'multiple-points', 'polygon', 'line', 'distance', 'csv', 'zip', 'pdf', 'png', 'json-file', name='socketkind', native_enum=False), nullable=False),
    sa.Column('relative_path', sa.String(length=255), nullable=False),
    sa.Column('extra_schema', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sockets')),
    sa.UniqueConstraint('slug', name=op.f('uq_sockets_slug'))
    )
    op.create_table('algorithm_inputs',
    sa.Column('algorithm_id', sa.Integer(), nullable=False),
    sa.Column('socket_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['algorithm_id'], ['algorithms.id'], name=op.f('fk_algorithm_inputs_algorithm_id_algorithms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['socket_id'], ['sockets.id'], name=op.f('fk_algorithm_inputs_socket_id_sockets'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('algorithm_id', 'socket_id', name=op.f('pk_algorithm_inputs'))
    )
    op.create_table('algorithm_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('algorithm_id', sa.Integer(), nullable=False),
    sa.Column('creator', sa.String(length=255), nullable=False),
    sa.Column('container_digest', sa.String(length=128), nullable=True),
    sa.Column('status', sa.Enum('queued', 'provisioning', 'executing', 'succeeded', 'failed', 'cancelled', name='jobstatus', native_enum=False), nullable=False),
    sa.Column('exit_code', sa.Integer(), nullable=True),
    sa.Column('stdout_tail', sa.Text(), nullable=False),
    sa.Column('stderr_tail', sa.Text(), nullable=False),
    sa.Column('error_message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cpu_limit', sa.Double(), nullable=False),
    sa.Column('memory_limit_mb', sa.Integer(), nullable=False),
    sa.Column('time_limit_s', sa.Integer(), nullable=False),
    sa.Column('gpu', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['algorithm_id'], ['algorithms.id'], name=op.f('fk_algorithm_jobs_algorithm_id_algorithms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_algorithm_jobs'))
    )
    op.create_index(op.f('ix_algorithm_jobs_algorithm_id'), 'algorithm_jobs', ['algorithm_id'])
    op.create_index(op.f('ix_algorithm_jobs_creator'), 'algorithm_jobs', ['creator'])
    op.create_index(op.f('ix_algorithm_jobs_status'), 'algorithm_jobs', ['status'])
    op.create_table('algorithm_members',
    sa.Column('algorithm_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('editor', 'user', name='algorithmrole', native_enum=False), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['algorithm_id'], ['algorithms.id'], name=op.f('fk_algorithm_members_algorithm_id_algorithms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_algorithm_members')),
    sa.UniqueConstraint('algorithm_id', 'username', 'role', name=op.f('uq_algorithm_members_algorithm_id_username_role'))
    )
    op.create_index(op.f('ix_algorithm_members_username'), 'algorithm_members', ['username'])
    op.create_table('algorithm_outputs',
    sa.Column('algorithm_id', sa.Integer(), nullable=False),
    sa.Column('socket_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['algorithm_id'], ['algorithms.id'], name=op.f('fk_algorithm_outputs_algorithm_id_algorithms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['socket_id'], ['sockets.id'], name=op.f('fk_algorithm_outputs_socket_id_sockets'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('algorithm_id', 'socket_id', name=op.f('pk_algorithm_outputs'))
    )
    op.create_table('archive_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('archive_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['archive_id'], ['archives.id'], name=op.f('fk_archive_items_archive_id_archives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_items'))
    )
    op.create_index(op.f('ix_archive_items_archive_id'), 'archive_items', ['archive_id'])
    op.create_table('archive_members',
    sa.Column('archive_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('editor', 'uploader', 'user', name='archiverole', native_enum=False), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['archive_id'], ['archives.id'], name=op.f('fk_archive_members_archive_id_archives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_members')),
    sa.UniqueConstraint('archive_id', 'username', 'role', name=op.f('uq_archive_members_archive_id_username_role'))
    )
    op.create_index(op.f('ix_archive_members_username'), 'archive_members', ['username'])
    op.create_table('challenge_members',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('admin', 'participant', name='challengerole', native_enum=False), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_members_challenge_id_challenges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_members')),
    sa.UniqueConstraint('challenge_id', 'username', 'role', name=op.f('uq_challenge_members_challenge_id_username_role'))
    )
    op.create_index(op.f('ix_challenge_members_username'), 'challenge_members', ['username'])
    op.create_table('join_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'rejected', name='joinrequeststatus', native_enum=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=255), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_join_requests_challenge_id_challenges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_requests'))
    )
    op.create_index(op.f('ix_join_requests_challenge_id'), 'join_requests', ['challenge_id'])
    op.create_index(op.f('ix_join_requests_username'), 'join_requests', ['username'])
    op.create_table('phases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('submission_kind', sa.Enum('predictions', 'algorithm', name='submissionkind', native_enum=False), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submissions_limit', sa.Integer(), nullable=True),
    sa.Column('submissions_period_days', sa.Integer(), nullable=True),
    sa.Column('archive_id', sa.Integer(), nullable=True),
    sa.Column('method_image', sa.String(length=512), nullable=True),
    sa.Column('method_digest', sa.String(length=128), nullable=True),
    sa.Column('ground_truth_path', sa.String(length=1024), nullable=True),
    sa.Column('ground_truth_version', sa.String(length=128), nullable=True),
    sa.Column('score_jsonpath', sa.String(length=255), nullable=False),
    sa.Column('score_ascending', sa.Boolean(), nullable=False),
    sa.Column('extra_results_columns', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('scoring_method', sa.Enum('absolute', 'mean-rank', 'median-rank', name='scoringmethod', native_enum=False), nullable=False),
    sa.Column('result_display', sa.Enum('all', 'best', 'most-recent', name='resultdisplay', native_enum=False), nullable=False),
    sa.Column('visibility', sa.Enum('public', 'participants', 'hidden', name='visibility', native_enum=False), nullable=False),
    sa.Column('auto_publish', sa.Boolean(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('cpu_limit', sa.Double(), nullable=False),
    sa.Column('memory_limit_mb', sa.Integer(), nullable=False),
    sa.Column('time_limit_s', sa.Integer(), nullable=False),
    sa.Column('gpu', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['archive_id'], ['archives.id'], name=op.f('fk_phases_archive_id_archives'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_phases_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['phases.id'], name=op.f('fk_phases_parent_id_phases'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phases')),
    sa.UniqueConstraint('challenge_id', 'slug', name=op.f('uq_phases_challenge_id_slug'))
    )
    op.create_index(op.f('ix_phases_challenge_id'), 'phases', ['challenge_id'])
    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reader_study_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('help_text', sa.Text(), nullable=False),
    sa.Column('kind', sa.Enum('image', 'segmentation', 'heat-map', 'string', 'integer', 'float', 'bool', 'any', 'choice', 'multiple-choice', '2d-bounding-box', 'point', 'multiple-points', 'polygon', 'line', 'distance', 'csv', 'zip', 'pdf', 'png', 'json-file', name='socketkind', native_enum=False), nullable=False),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['reader_study_id'], ['reader_studies.id'], name=op.f('fk_questions_reader_study_id_reader_studies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions'))
    )
    op.create_index(op.f('ix_questions_reader_study_id'), 'questions', ['reader_study_id'])
    op.create_table('reader_study_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reader_study_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reader_study_id'], ['reader_studies.id'], name=op.f('fk_reader_study_cases_reader_study_id_reader_studies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_study_cases'))
    )
    op.create_index(op.f('ix_reader_study_cases_reader_study_id'), 'reader_study_cases', ['reader_study_id'])
    op.create_table('reader_study_members',
    sa.Column('reader_study_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('editor', 'reader', name='readerstudyrole', native_enum=False), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reader_study_id'], ['reader_studies.id'], name=op.f('fk_reader_study_members_reader_study_id_reader_studies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_study_members')),
    sa.UniqueConstraint('reader_study_id', 'username', 'role', name=op.f('uq_reader_study_members_reader_study_id_username_role'))
    )
    op.create_index(op.f('ix_reader_study_members_username'), 'reader_study_members', ['username'])
    op.create_table('socket_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('socket_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('image_id', sa.Integer(), nullable=True),
    sa.Column('file_path', sa.String(length=1024), nullable=True),
    sa.Column('file_size', sa.BigInteger(), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(CASE WHEN value IS NULL THEN 0 ELSE 1 END) + (CASE WHEN image_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN file_path IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_socket_values_one_of_value_image_file')),
    sa.ForeignKeyConstraint(['image_id'], ['images.id'], name=op.f('fk_socket_values_image_id_images'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['socket_id'], ['sockets.id'], name=op.f('fk_socket_values_socket_id_sockets'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_socket_values'))
    )
    op.create_index(op.f('ix_socket_values_image_id'), 'socket_values', ['image_id'])
    op.create_index(op.f('ix_socket_values_socket_id'), 'socket_values', ['socket_id'])
    op.create_table('upload_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('status', sa.Enum('pending', 'importing', 'succeeded', 'failed', 'cancelled', name='uploadstatus', native_enum=False), nullable=False),
    sa.Column('error_message', sa.Text(), nullable=False),
    sa.Column('archive_id', sa.Integer(), nullable=True),
    sa.Column('socket_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['archive_id'], ['archives.id'], name=op.f('fk_upload_sessions_archive_id_archives'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['socket_id'], ['sockets.id'], name=op.f('fk_upload_sessions_socket_id_sockets'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_sessions'))
    )
    op.create_index(op.f('ix_upload_sessions_owner'), 'upload_sessions', ['owner'])
    op.create_table('algorithm_job_inputs',
    sa.Column('algorithm_job_id', sa.Integer(), nullable=False),
    sa.Column('socket_value_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['algorithm_job_id'], ['algorithm_jobs.id'], name=op.f('fk_algorithm_job_inputs_algorithm_job_id_algorithm_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['socket_value_id'], ['socket_values.id'], name=op.f('fk_algorithm_job_inputs_socket_value_id_socket_values'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('algorithm_job_id', 'socket_value_id', name=op.f('pk_algorithm_job_inputs'))
    )
    op.create_table('algorithm_job_outputs',
    sa.Column('algorithm_job_id', sa.Integer(), nullable=False),
    sa.Column('socket_value_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['algorithm_job_id'], ['algorithm_jobs.id'], name=op.f('fk_algorithm_job_outputs_algorithm_job_id_algorithm_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['socket_value_id'], ['socket_values.id'], name=op.f('fk_algorithm_job_outputs_socket_value_id_socket_values'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('algorithm_job_id', 'socket_value_id', name=op.f('pk_algorithm_job_outputs'))
    )
    op.create_table('answers',
    sa.Column('reader', sa.String(length=255), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['reader_study_cases.id'], name=op.f('fk_answers_case_id_reader_study_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_answers_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answers')),
    sa.UniqueConstraint('question_id', 'case_id', 'reader', name=op.f('uq_answers_question_id_case_id_reader'))
    )
    op.create_index(op.f('ix_answers_case_id'), 'answers', ['case_id'])
    op.create_index(op.f('ix_answers_question_id'), 'answers', ['question_id'])
    op.create_index(op.f('ix_answers_reader'), 'answers', ['reader'])
    op.create_table('archive_item_values',
    sa.Column('archive_item_id', sa.Integer(), nullable=False),
    sa.Column('socket_value_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['archive_item_id'], ['archive_items.id'], name=op.f('fk_archive_item_values_archive_item_id_archive_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['socket_value_id'], ['socket_values.id'], name=op.f('fk_archive_item_values_socket_value_id_socket_values'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('archive_item_id', 'socket_value_id', name=op.f('pk_archive_item_values'))
    )
    op.create_table('ground_truth_answers',
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['reader_study_cases.id'], name=op.f('fk_ground_truth_answers_case_id_reader_study_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_ground_truth_answers_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ground_truth_answers')),
    sa.UniqueConstraint('question_id', 'case_id', name=op.f('uq_ground_truth_answers_question_id_case_id'))
    )
    op.create_index(op.f('ix_ground_truth_answers_case_id'), 'ground_truth_answers', ['case_id'])
    op.create_index(op.f('ix_ground_truth_answers_question_id'), 'ground_truth_answers', ['question_id'])
    op.create_table('phase_algorithm_inputs',
    sa.Column('phase_id', sa.Integer(), nullable=False),
    sa.Column('socket_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['phase_id'], ['phases.id'], name=op.f('fk_phase_algorithm_inputs_phase_id_phases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['socket_id'], ['sockets.id'], name=op.f('fk_phase_algorithm_inputs_socket_id_sockets'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('phase_id', 'socket_id', name=op.f('pk_phase_algorithm_inputs'))
    )
    op.create_table('phase_algorithm_outputs',
    sa.Column('phase_id', sa.Integer(), nullable=False),
    sa.Column('socket_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['phase_id'], ['phases.id'], name=op.f('fk_phase_algorithm_outputs_phase_id_phases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['socket_id'], ['sockets.id'], name=op.f('fk_phase_algorithm_outputs_socket_id_sockets'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('phase_id', 'socket_id', name=op.f('pk_phase_algorithm_outputs'))
    )
    op.create_table('reader_study_case_values',
    sa.Column('reader_study_case_id', sa.Integer(), nullable=False),
    sa.Column('socket_value_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reader_study_case_id'], ['reader_study_cases.id'], name=op.f('fk_reader_study_case_values_reader_study_case_id_reader_study_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['socket_value_id'], ['socket_values.id'], name=op.f('fk_reader_study_case_values_socket_value_id_socket_values'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('reader_study_case_id', 'socket_value_id', name=op.f('pk_reader_study_case_values'))
    )
    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phase_id', sa.Integer(), nullable=False),
    sa.Column('creator', sa.String(length=255), nullable=False),
    sa.Column('predictions_path', sa.String(length=1024), nullable=True),
    sa.Column('algorithm_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(predictions_path IS NULL) <> (algorithm_id IS NULL)', name=op.f('ck_submissions_predictions_or_algorithm')),
    sa.ForeignKeyConstraint(['algorithm_id'], ['algorithms.id'], name=op.f('fk_submissions_algorithm_id_algorithms'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['phase_id'], ['phases.id'], name=op.f('fk_submissions_phase_id_phases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions'))
    )
    op.create_index(op.f('ix_submissions_creator'), 'submissions', ['creator'])
    op.create_index(op.f('ix_submissions_phase_id'), 'submissions', ['phase_id'])
    op.create_table('upload_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('upload_session_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=1024), nullable=False),
    sa.Column('status', sa.Enum('pending', 'importing', 'succeeded', 'failed', 'cancelled', name='uploadstatus', native_enum=False), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('image_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['image_id'], ['images.id'], name=op.f('fk_upload_files_image_id_images'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['upload_session_id'], ['upload_sessions.id'], name=op.f('fk_upload_files_upload_session_id_upload_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_files'))
    )
    op.create_index(op.f('ix_upload_files_upload_session_id'), 'upload_files', ['upload_session_id'])
    op.create_table('evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('algorithm_digest', sa.String(length=128), nullable=True),
    sa.Column('method_digest', sa.String(length=128), nullable=True),
    sa.Column('ground_truth_version', sa.String(length=128), nullable=True),
    sa.Column('status', sa.Enum('queued', 'provisioning', 'executing', 'succeeded', 'failed', 'cancelled', name='jobstatus', native_enum=False), nullable=False),
    sa.Column('exit_code', sa.Integer(), nullable=True),
    sa.Column('stdout_tail', sa.Text(), nullable=False),
    sa.Column('stderr_tail', sa.Text(), nullable=False),
    sa.Column('error_message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cpu_limit', sa.Double(), nullable=False),
    sa.Column('memory_limit_mb', sa.Integer(), nullable=False),
    sa.Column('time_limit_s', sa.Integer(), nullable=False),
    sa.Column('gpu', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_evaluations_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluations'))
    )
    op.create_index(op.f('ix_evaluations_status'), 'evaluations', ['status'])
    op.create_index(op.f('ix_evaluations_submission_id'), 'evaluations', ['submission_id'])
    op.create_table('evaluation_algorithm_jobs',
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('algorithm_job_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['algorithm_job_id'], ['algorithm_jobs.id'], name=op.f('fk_evaluation_algorithm_jobs_algorithm_job_id_algorithm_jobs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'], name=op.f('fk_evaluation_algorithm_jobs_evaluation_id_evaluations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('evaluation_id', 'algorithm_job_id', name=op.f('pk_evaluation_algorithm_jobs'))
    )


def downgrade() -> None:
    op.drop_table('evaluation_algorithm_jobs')
    op.drop_table('evaluations')
    op.drop_table('upload_files')
    op.drop_table('submissions')
    op.drop_table('reader_study_case_values')
    op.drop_table('phase_algorithm_outputs')
    op.drop_table('phase_algorithm_inputs')
    op.drop_table('ground_truth_answers')
    op.drop_table('archive_item_values')
    op.drop_table('answers')
    op.drop_table('algorithm_job_outputs')
    op.drop_table('algorithm_job_inputs')
    op.drop_table('upload_sessions')
    op.drop_table('socket_values')
    op.drop_table('reader_study_members')
    op.drop_table('reader_study_cases')
    op.drop_table('questions')
    op.drop_table('phases')
    op.drop_table('join_requests')
    op.drop_table('challenge_members')
    op.drop_table('archive_members')
    op.drop_table('archive_items')
    op.drop_table('algorithm_outputs')
    op.drop_table('algorithm_members')
    op.drop_table('algorithm_jobs')
    op.drop_table('algorithm_inputs')
    op.drop_table('sockets')
    op.drop_table('reader_studies')
    op.drop_table('images')
    op.drop_table('challenges')
    op.drop_table('archives')
    op.drop_table('algorithms')
