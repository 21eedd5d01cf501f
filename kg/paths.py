"""Where the project's data files live (kept out of code)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
REFERENCE_DIR = ONTOLOGY_DIR / "reference"
SHAPES_DIR = ROOT / "shapes"
SEEDS_DIR = ROOT / "seeds"
OUTPUT_DIR = ROOT / "output"
