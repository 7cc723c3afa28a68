"""The participation app's models, one module per part (DESIGN.md §2 `participation`)."""

from torget.participation.models.exports import HearingExport
from torget.participation.models.forums import (
    Forum,
    ForumDigestSent,
    ForumFollow,
    ForumKind,
    ForumNotice,
)
from torget.participation.models.hearings import (
    Hearing,
    HearingSection,
    Statement,
    StatementAttachment,
)
from torget.participation.models.processes import (
    PHASE_ORDER,
    Phase,
    PhaseKind,
    Process,
    ProcessDocument,
    ProcessKind,
)
from torget.participation.models.proposals import Proposal, ProposalStatus, ProposalSupport
from torget.participation.models.shortviews import (
    MAX_SHORT_VIEW,
    OpinionGroups,
    ShortView,
    ShortViewStatus,
    ShortViewVote,
    VoteChoice,
)

__all__ = [
    "MAX_SHORT_VIEW",
    "PHASE_ORDER",
    "Forum",
    "ForumDigestSent",
    "ForumFollow",
    "ForumKind",
    "ForumNotice",
    "Hearing",
    "HearingExport",
    "HearingSection",
    "OpinionGroups",
    "Phase",
    "PhaseKind",
    "Process",
    "ProcessDocument",
    "ProcessKind",
    "Proposal",
    "ProposalStatus",
    "ProposalSupport",
    "ShortView",
    "ShortViewStatus",
    "ShortViewVote",
    "Statement",
    "StatementAttachment",
    "VoteChoice",
]
