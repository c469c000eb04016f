"""Email, chat and SMS into the ACD: each adapter turns its messages into conversations (`hub.py`),
which enter the ACD as interactions of their media and reach agents in their workspace."""
from __future__ import annotations

from ivr.config import Config
from ivr.errors import ConfigError

from .hub import Hub, Routing
from .workspace import Workspace

__all__ = ["Hub", "Routing", "install"]


def install(service, config: Config) -> Hub:
    """Plug the channels configured (port not 0) and the agent workspace into a running ACD."""
    channels = config.channels
    for media in ("email", "chat", "sms"):
        channel = getattr(channels, media)
        if channel.port and channel.queue not in service.router.queues:
            raise ConfigError(f"{config.source}: channels.{media}.queue: unknown queue {channel.queue} "
                              f"({service.acd.source} has: {', '.join(service.router.queues)})")
    hub = Hub(service)
    if channels.chat.port:
        from .chat import ChatChannel
        service.controller.services.append(ChatChannel(hub, channels.chat))
    if channels.email.port:
        from .mail import EmailChannel
        service.controller.services.append(EmailChannel(hub, channels.email))
    if channels.sms.port:
        from .sms import SmsChannel
        service.controller.services.append(SmsChannel(hub, channels.sms))
    flow = service.controller.flow
    if hasattr(flow, "customers"):  # the YAML flows: `last_contact`, calls in the customer timeline
        flow.customers = hub
    hub.workspace = Workspace(hub)
    service.control.routes.extend(hub.workspace.routes())
    return hub
