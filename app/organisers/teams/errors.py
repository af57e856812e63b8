"""Why a change to an organisation, its members or invitations was refused."""


class TeamError(Exception):
    """A change refused for a reason the person asking can understand."""


class SlugTaken(TeamError):
    """Another organisation already has this address."""


class AlreadyMember(TeamError):
    """The invited address belongs to a member of the organisation."""


class InvitationNotSent(TeamError):
    """The address has had its emails for today; nothing was saved."""


class LastOwner(TeamError):
    """The change would leave the organisation without an owner."""


class MemberNotFound(TeamError):
    """No such membership (or invitation) in this organisation."""


class HasCampaigns(TeamError):
    """An organisation with campaigns cannot be deleted."""
