"""Import every model so that the metadata (and Alembic) sees the whole schema."""

from exchange.accounts.models import (  # noqa: F401
    AccountToken,
    Institute,
    InstituteDomain,
    Invitation,
    User,
    UserRole,
)
from exchange.api.models import ApiToken  # noqa: F401
from exchange.audit.models import AuditEvent  # noqa: F401
from exchange.evaluations.models import (  # noqa: F401
    EvaluationRecord,
    EvaluationResult,
    MethodologyCitation,
    RecordLabel,
    SourceLog,
)
from exchange.notifications.models import Notification, OutboxEmail  # noqa: F401
from exchange.rotations.models import (  # noqa: F401
    Application,
    ApplicationEvent,
    ConflictDeclaration,
    Criterion,
    Placement,
    Program,
    Review,
    Score,
)
from exchange.search.models import SearchDocumentRow, SearchOutbox, SearchWord  # noqa: F401
from exchange.wiki.models import (  # noqa: F401
    Attachment,
    Page,
    PageLink,
    PageTag,
    Revision,
    SignOff,
    SlugRedirect,
    Watch,
)
