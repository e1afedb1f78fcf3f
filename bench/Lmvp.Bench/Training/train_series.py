#!/usr/bin/python3
"""Trains a small transformer language model with torch and writes checkpoint series the way training does.

OUT/full/NN/model.pt              fp32 state dict after epoch NN (every weight changed: AdamW touches them all)
OUT/full/NN/checkpoint.pt         the same with the optimizer state (Adam moments), as resumable checkpoints are saved
OUT/full/NN/model.safetensors     the weights in bf16, written as safetensors (the safetensors package is not needed)
OUT/finetune/NN/ft_eNN.pt         a fine-tune of the last block, norm and head only, saved under per-epoch names
OUT/series.json                   losses, and for the fine-tune the bytes of the tensors that changed each epoch
Run with Debian's /usr/bin/python3 (python3-torch); nothing else is imported.
"""
import argparse, json, os, struct
import torch
import torch.nn as nn


def safetensors_bytes(tensors, dtype):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().to(dtype).contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": {torch.bfloat16: "BF16", torch.float32: "F32", torch.float16: "F16"}[dtype],
                        "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


class LM(nn.Module):
    def __init__(self, vocab, d, layers, heads, seq):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(seq, d)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)
        self.register_buffer("mask", torch.triu(torch.full((seq, seq), float("-inf")), 1))

    def forward(self, x):
        h = self.tok(x) + self.pos(torch.arange(x.shape[1]))
        return self.head(self.norm(self.blocks(h, mask=self.mask[: x.shape[1], : x.shape[1]])))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--finetune-epochs", type=int, default=3)
    p.add_argument("--vocab", type=int, default=4096)
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    model = LM(a.vocab, a.d_model, a.layers, 4, a.seq)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    successors = torch.randint(0, a.vocab, (a.vocab, 4))

    def batch():
        x = torch.empty(a.batch, a.seq + 1, dtype=torch.long)
        x[:, 0] = torch.randint(0, a.vocab, (a.batch,))
        for i in range(a.seq):
            x[:, i + 1] = successors[x[:, i], torch.randint(0, 4, (a.batch,))]
        return x[:, :-1], x[:, 1:]

    def train(optimizer):
        loss = None
        for _ in range(a.steps):
            x, y = batch()
            loss = nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return float(loss)

    log = {"full": [], "finetune": []}
    for e in range(1, a.epochs + 1):
        loss = train(opt)
        d = os.path.join(a.out, "full", "%02d" % e)
        os.makedirs(d, exist_ok=True)
        sd = model.state_dict()
        torch.save(sd, os.path.join(d, "model.pt"))
        torch.save({"model": sd, "optimizer": opt.state_dict(), "epoch": e}, os.path.join(d, "checkpoint.pt"))
        with open(os.path.join(d, "model.safetensors"), "wb") as f:
            f.write(safetensors_bytes({k: v for k, v in sd.items() if v.is_floating_point()}, torch.bfloat16))
        log["full"].append({"epoch": e, "loss": loss})

    for prm in model.parameters():
        prm.requires_grad = False
    trainable = list(model.blocks.layers[-1].parameters()) + list(model.norm.parameters()) + list(model.head.parameters())
    for prm in trainable:
        prm.requires_grad = True
    ft = torch.optim.AdamW(trainable, lr=3e-4)
    previous = {k: v.clone() for k, v in model.state_dict().items()}
    for e in range(1, a.finetune_epochs + 1):
        loss = train(ft)
        sd = model.state_dict()
        changed = sum(v.numel() * v.element_size() for k, v in sd.items() if not torch.equal(v, previous[k]))
        previous = {k: v.clone() for k, v in sd.items()}
        d = os.path.join(a.out, "finetune", "%02d" % e)
        os.makedirs(d, exist_ok=True)
        torch.save(sd, os.path.join(d, "ft_e%02d.pt" % e))
        log["finetune"].append({"epoch": e, "loss": loss, "changed_tensor_bytes": changed})

    with open(os.path.join(a.out, "series.json"), "w") as f:
        json.dump(log, f, indent=1)


if __name__ == "__main__":
    main()
