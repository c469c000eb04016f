"""IVR and ACD engine on Asterisk: the controller package."""
