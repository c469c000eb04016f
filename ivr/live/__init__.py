"""The live engine on real calls: the controller (`controller.py`), one `Call` per channel,
flows on live calls (`flow_service.py`, `call_port.py`) and the ACD on live calls (`acd/`)."""
