"""Type stubs for the compiled module (crates/python/src/lib.rs). Use the wrappers in
``photophone`` (documented there); these take every argument explicitly."""

from typing import Optional, Tuple

__version__: str

class PhotoError(ValueError):
    """A photo that cannot be used; the message is the CLI's one line for the same file."""

def analyze_json(data: bytes, style: str, seed: int, seconds: float, name: str) -> str: ...
def score_json(data: bytes, style: str, seed: int, seconds: float) -> str: ...
def render(data: bytes, seconds: float, style: str, seed: int, rate: int, timbre: Optional[str] = None) -> bytes: ...
def midi(data: bytes, seconds: float, style: str, seed: int) -> bytes: ...
def process(
    data: bytes, seconds: float, style: str, seed: int, rate: int, wav: bool, midi: bool
) -> Tuple[str, Optional[bytes], Optional[bytes]]: ...
