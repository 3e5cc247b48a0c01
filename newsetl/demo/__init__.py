"""The bundled demo: sample files and local copies of the real sites."""

from pathlib import Path

SAMPLES = Path(__file__).with_name("samples")
