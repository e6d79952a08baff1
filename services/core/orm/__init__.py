"""The platform's data model (SQLAlchemy 2). Users are hub usernames, never foreign keys.

Values and images outlive what lists them: deleting an archive, a reader study or a job removes
its links to socket values, never the values or their images, which others may share. A value or
image still in use cannot be deleted (RESTRICT).
"""

from ..schemas import SocketKind
from ..status import JobStatus, JoinRequestStatus, UploadStatus, advance
from .algorithm_models import AlgorithmModel, activate, active_model, model_folder
from .algorithms import Algorithm, AlgorithmJob
from .archives import Archive, ArchiveItem
from .base import Base, UTCDateTime, remove, save, utcnow
from .challenges import (
    Challenge,
    Evaluation,
    Phase,
    ResultDisplay,
    ScoringMethod,
    Submission,
    SubmissionKind,
    Visibility,
)
from .container_images import ContainerImage
from .images import ColorSpace, Image, UploadFile, UploadSession
from .interfaces import (
    AlgorithmInterface,
    check_distinct,
    find_interface,
    interface_for,
    interface_within,
    serving,
)
from .logins import OAuthState
from .notifications import (
    Delivery,
    MailAddress,
    MailStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
    committed_unread_count,
    notify,
    unread_count,
)
from .reader_studies import (
    POINT_KINDS,
    QUESTION_KINDS,
    Answer,
    GroundTruthAnswer,
    GroundTruthReveal,
    Question,
    QuestionOption,
    ReaderStudy,
    ReaderStudyCase,
    make_answer,
    make_ground_truth,
)
from .results_version import results_changed
from .roles import (
    AlgorithmMember,
    AlgorithmRole,
    ArchiveMember,
    ArchiveRole,
    ChallengeMember,
    ChallengeRole,
    JoinRequest,
    ReaderStudyMember,
    ReaderStudyRole,
    decide,
    grant,
    has_role,
    revoke,
    usernames,
)
from .sockets import Socket, SocketValue, StoredFile, default_relative_path, make_value, relative_path_problem
from .teams import Team, TeamInvitation, TeamMember, team_of, teammates
from .versions import version
from .viewing import VIEWING, HangingProtocol, ViewerConfiguration, set_viewing, viewing_choices

metadata = Base.metadata
