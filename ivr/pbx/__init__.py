"""Everything that talks to Asterisk: ARI, AMI, and the local PBX we provision."""
