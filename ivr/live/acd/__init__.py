"""The ACD on live calls: callers wait with music and announcements, agents' phones ring,
answered calls are bridged and recorded; agents use feature codes or `ivr agents`."""
from __future__ import annotations

from ivr.live.acd.control import ControlApi
from ivr.live.acd.features import FeatureCodes
from ivr.live.acd.service import AcdService

__all__ = ["AcdService", "install"]


def install(controller, flow_service) -> AcdService:
    """Plug the ACD into a controller: queue handoff, agent offers, feature codes, control API."""
    service = AcdService(controller.config, controller, flow_service.tts)
    flow_service.handoff = service
    from ivr.live.supervise import install as install_supervision  # supervise builds on this package

    FeatureCodes(service)
    control = service.control = ControlApi(service, controller.config.control)
    service.supervision = install_supervision(service, control)
    return service
