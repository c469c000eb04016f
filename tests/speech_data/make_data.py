"""Regenerate the Korean test utterances and their manifest (the WAVs are checked in).

    python tests/speech_data/make_data.py

espeak-ng speaks each menu phrase in several voices and speeds; some copies get white
noise mixed in with sox. Each file is stored as the phone line carries it: 8 kHz mono
A-law, so a caller sends exactly these bytes and the direct decode hears what the live
call hears. `manifest.json` lists every
file with the menu option it should select (null: out of the menu's grammar).
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

HERE = Path(__file__).parent
PHRASES = {"상담원 연결": "1", "요금 안내": "2", "비밀번호": "3"}  # the menu in speech-menu-ko.yaml
OUT_OF_GRAMMAR = ["오늘 날씨가 좋네요", "안녕하세요 반갑습니다"]
VOICES = ["ko", "ko+f2", "ko+m3", "ko+f4"]
SPEEDS = [130, 160, 190]
NOISY = [("ko", 150), ("ko+f2", 170), ("ko+m3", 140)]
NOISE_VOLUME = "0.02"


def speak(text: str, voice: str, speed: int, path: Path, noise: bool) -> None:
    spoken = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", "--", text],
                            check=True, capture_output=True).stdout
    clean = path.with_suffix(".clean.wav")
    # 0.3 s of silence before and 0.2 s after the words, as a caller would leave
    subprocess.run(["sox", "-t", "wav", "-", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                    str(clean), "pad", "0.3", "0.2"], input=spoken, check=True)
    if noise:
        seconds = subprocess.run(["soxi", "-D", str(clean)], check=True, capture_output=True, text=True).stdout
        hiss = path.with_suffix(".noise.wav")
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(hiss), "synth", seconds.strip(),
                        "whitenoise", "vol", NOISE_VOLUME], check=True)
        mixed = path.with_suffix(".mixed.wav")
        subprocess.run(["sox", "-m", str(clean), str(hiss), str(mixed)], check=True)
        clean.unlink()
        hiss.unlink()
        clean = mixed
    subprocess.run(["sox", str(clean), "-e", "a-law", "-b", "8", str(path) + ".alaw.wav"], check=True)
    Path(str(path) + ".alaw.wav").replace(path)
    clean.unlink()


def main() -> None:
    entries = []
    for number, (text, option) in enumerate(PHRASES.items()):
        takes = [(v, s, False) for v in VOICES for s in SPEEDS] + [(v, s, True) for v, s in NOISY]
        for voice, speed, noise in takes:
            name = f"opt{option}-{voice.replace('+', '_')}-{speed}{'-noise' if noise else ''}.wav"
            speak(text, voice, speed, HERE / name, noise)
            entries.append({"file": name, "text": text, "option": option, "voice": voice, "speed": speed,
                            "noise": noise})
    for number, text in enumerate(OUT_OF_GRAMMAR):
        name = f"oog{number}-ko-150.wav"
        speak(text, "ko", 150, HERE / name, False)
        entries.append({"file": name, "text": text, "option": None, "voice": "ko", "speed": 150, "noise": False})
    manifest = {"language": "ko", "grammar": PHRASES, "utterances": entries}
    (HERE / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    print(f"{len(entries)} utterances in {HERE}")


if __name__ == "__main__":
    main()
