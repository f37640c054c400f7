#!/usr/bin/python3
"""PyTorch side of `npm run bench -- extract`: the 134M benchmark Llama (same weights as <model>/onnx/model.onnx,
digest checked against bench_meta.json) over the same token ids as `syco extract`, capturing every block's output
(resid) and MLP output at position -2 of every text. Modes:

  study    batch 1, full model incl. the LM head, block outputs collected (what output_hidden_states does)
  batched  --batch texts per pass in file order, left-padded with an attention mask, forward hooks, full model
  nohead   as batched, but the decoder only (no LM head): the most careful loop

Prints one JSON line: {"mode", "batch", "texts", "tokens", "seconds", "tokens_per_s", "checksum", "torch"}.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'scripts', 'fixtures'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--ids', required=True, help='JSON list of token-id lists (the texts in order)')
    ap.add_argument('--mode', choices=['study', 'batched', 'nohead'], required=True)
    ap.add_argument('--batch', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()
    import torch
    import bench_common as BC
    import hf_modules as M
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.model, 'bench_meta.json')) as f:
        meta = json.load(f)
    base = BC.build_bench_model()
    if BC.weights_digest(base) != meta['weights_sha256']:
        raise SystemExit('not the same weights as the ONNX model')
    cfg = BC.hf_config()
    model = M.LlamaForCausalLM(cfg).eval()
    model.load_state_dict(BC.to_hf_state(base), strict=False)
    del base
    with open(args.ids) as f:
        texts = json.load(f)
    L = cfg['num_hidden_layers']
    kvh, hd = cfg['num_key_value_heads'], cfg['head_dim']
    caught = []
    hooks = []
    for layer in model.model.layers:
        hooks.append(layer.register_forward_hook(lambda m, i, o: caught.append(('resid', o[0]))))
        hooks.append(layer.mlp.register_forward_hook(lambda m, i, o: caught.append(('mlp', o))))
    B = 1 if args.mode == 'study' else args.batch
    checksum = 0.0
    t0 = time.perf_counter()
    with torch.no_grad():
        for s in range(0, len(texts), B):
            batch = texts[s:s + B]
            S = max(len(x) for x in batch)
            ids = torch.zeros(len(batch), S, dtype=torch.int64)
            mask = torch.zeros(len(batch), S, dtype=torch.int64)
            for b, x in enumerate(batch):
                ids[b, S - len(x):] = torch.tensor(x)
                mask[b, S - len(x):] = 1
            pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
            past = []
            for _ in range(L):
                past += [torch.zeros(len(batch), kvh, 0, hd), torch.zeros(len(batch), kvh, 0, hd)]
            caught.clear()
            if args.mode == 'nohead':
                model.model(ids, mask, pos, past)
            else:
                model(ids, mask, pos, *past)
            rows = [t[:, S - 2, :] for _, t in caught]  # position -2 of every text (left padding)
            checksum += float(sum(r.sum() for r in rows))
    seconds = time.perf_counter() - t0
    for h in hooks:
        h.remove()
    tokens = sum(len(x) for x in texts)
    print(json.dumps({'mode': args.mode, 'batch': B, 'texts': len(texts), 'tokens': tokens, 'seconds': round(seconds, 3),
                      'tokens_per_s': round(tokens / seconds, 1), 'checksum': checksum, 'torch': torch.__version__}), flush=True)


if __name__ == '__main__':
    main()
