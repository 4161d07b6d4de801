"""Spoken cues: the platform voice, written to a WAV file and measured; never blocking."""

from __future__ import annotations

import io
import shutil
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from cli.speech import CueVoice, Speaker, hold_milestones, voice_command, wav_command

CUE = "looking down — keep your chin level, eyes ahead"


def _espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (CI: apt-get install -y espeak-ng)")
    return exe


def test_the_cue_spoken_to_a_wav_file_has_length_and_sound(tmp_path: Path):
    _espeak()
    out = tmp_path / "cue.wav"
    argv = wav_command(CUE, str(out))
    assert argv is not None
    import subprocess

    subprocess.run(argv, check=True, timeout=60)
    with wave.open(str(out), "rb") as w:
        rate, n, width = w.getframerate(), w.getnframes(), w.getsampwidth()
        frames = w.readframes(n)
    assert width == 2
    pcm = np.frombuffer(frames, dtype="<i2").astype(np.float64)
    duration_s = n / rate
    assert 1.5 < duration_s < 10.0, duration_s  # a sentence of eight words
    rms = np.sqrt(np.mean(pcm**2))
    assert rms > 300.0, rms  # not silence (full scale 32767)
    # speech, not a tone: a good share of 20-ms frames is loud, and some are quiet (pauses)
    frame = int(0.02 * rate)
    energy = np.sqrt(np.mean(pcm[: n // frame * frame].reshape(-1, frame) ** 2, axis=1))
    loud = np.mean(energy > 0.1 * energy.max())
    assert 0.3 < loud < 0.98, loud


def test_say_never_waits_for_the_voice(tmp_path: Path):
    slow = [sys.executable, "-c", "import sys, time; time.sleep(30)"]
    speaker = Speaker(command=slow)
    try:
        speaker.say("first")
        assert speaker.busy()  # still speaking: say() returned without waiting
        speaker.say("second")
        speaker.say("third")  # replaces the pending one
        assert speaker.pending == "third"
        assert speaker.spoken == ["first"]
    finally:
        speaker.close()
    assert not speaker.busy()
    assert speaker.pending is None


def test_pending_text_follows_when_the_voice_is_free():
    quick = [sys.executable, "-c", "pass"]
    speaker = Speaker(command=quick)
    speaker.say("one")
    speaker.say("two")
    assert speaker._proc is not None
    speaker._proc.wait(timeout=30)
    speaker.poll()
    assert speaker.spoken == ["one", "two"]
    speaker.close()


def test_bell_without_a_voice_and_silence_when_quiet():
    bell = io.StringIO()
    speaker = Speaker(bell_stream=bell, platform="linux", which=lambda _name: None)
    assert not speaker.has_voice
    speaker.say(CUE)
    assert bell.getvalue() == "\a"
    quiet = Speaker(quiet=True, bell_stream=bell, platform="linux", which=lambda _n: None)
    quiet.say(CUE)
    assert bell.getvalue() == "\a"
    assert quiet.spoken == []


def test_voice_commands_per_platform_pass_the_text_as_one_argument():
    def which(name: str) -> str | None:
        return f"/bin/{name}"

    text = 'a "quoted"; rm -rf / text'
    assert voice_command(text, platform="linux", which=which) == (
        ["/bin/espeak-ng", "--", text],
        {},
    )
    assert voice_command(text, platform="darwin", which=which) == (["/bin/say", "--", text], {})
    argv, env = voice_command(text, platform="win32", which=which)  # type: ignore[misc]
    assert text not in " ".join(argv)
    assert env == {"STRETCHGUARD_SAY": text}
    assert voice_command(text, platform="sunos", which=which) is None


def test_hold_milestones():
    assert hold_milestones(0.0, 9.9, 30.0) == []
    assert hold_milestones(9.9, 10.1, 30.0) == ["10 seconds"]
    assert hold_milestones(19.0, 31.0, 30.0) == ["20 seconds", "30 seconds — target reached"]
    assert hold_milestones(20.0, 25.5, 25.0) == ["25 seconds — target reached"]
    assert hold_milestones(5.0, 5.0, 30.0) == []


def test_cue_voice_counts_a_new_hold_from_zero():
    bell = io.StringIO()
    speaker = Speaker(bell_stream=bell, platform="linux", which=lambda _n: None)
    voice = CueVoice(speaker)
    voice.hold(12.0, 30.0)
    voice.hold(0.0, 30.0)  # hold broken
    voice.cue(CUE)
    voice.hold(10.5, 30.0)
    assert speaker.spoken == ["10 seconds", CUE, "10 seconds"]
