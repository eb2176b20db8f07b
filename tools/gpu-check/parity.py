# The PyTorch half of the GPU proof: a plain transcription of the Qwen-Image-Layered transformer (model spec §8,
# written for this check, not diffusers' code) run on the weights and inputs the Java side wrote, compared with the
# Java outputs. Works with PyTorch 1.13 (Debian, for the CPU rehearsal) and 2.x.
#   python3 parity.py DIR DEVICE [DTYPE]      DIR as TransformerParity --dir; DEVICE cpu|cuda; DTYPE bfloat16|float32
import glob, json, math, os, struct, sys, time
import torch
import torch.nn.functional as F


def read_safetensors(path, device):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {info['dtype']}; this reader takes the F32 files Layered writes")
        a, b = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(info["shape"]).to(device)
    return out


def rms(x, w, eps=1e-6):
    v = x.float().pow(2).mean(-1, keepdim=True)
    return (x.float() * torch.rsqrt(v + eps)).to(w.dtype) * w


def ln(x, eps=1e-6):
    return F.layer_norm(x, (x.shape[-1],), eps=eps)


def attention(q, k, v):  # (B, H, S, D)
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v)
    w = torch.softmax((q @ k.transpose(-1, -2)).float() / math.sqrt(q.shape[-1]), -1).to(v.dtype)
    return w @ v


def rope_angles(positions, axes):  # positions (S, 3) float -> angles (S, sum(axes)/2)
    parts = []
    for a, d in enumerate(axes):
        inv = 10000.0 ** (-torch.arange(0, d // 2, dtype=torch.float64) * 2 / d)
        parts.append(positions[:, a:a + 1].double() * inv[None, :])
    return torch.cat(parts, 1).float()


def positions(layers, h, w, text):
    rows = torch.arange(h) - (h + 1) // 2
    cols = torch.arange(w) - (w + 1) // 2
    grid = torch.stack(torch.meshgrid(rows, cols, indexing="ij"), -1).reshape(-1, 2)
    frames = [f for f in range(layers + 1)] + [-1]
    img = torch.cat([torch.cat([torch.full((h * w, 1), f), grid], 1) for f in frames], 0)
    p0 = max(max(h // 2, w // 2), layers + 1)
    txt = (p0 + torch.arange(text))[:, None].repeat(1, 3)
    return img.float(), txt.float()


def rotate(x, ang):  # x (B, S, H, D), interleaved pairs, computed in float32
    xf = x.float().reshape(*x.shape[:-1], -1, 2)
    c, s = ang.cos()[None, :, None, :], ang.sin()[None, :, None, :]
    r = torch.stack([xf[..., 0] * c - xf[..., 1] * s, xf[..., 0] * s + xf[..., 1] * c], -1)
    return r.reshape(x.shape).to(x.dtype)


def forward(W, cfg, x, e, ts, layers, grid):
    lin = lambda n, t: F.linear(t, W[n + ".weight"], W[n + ".bias"])
    heads, hd = cfg["num_attention_heads"], cfg["attention_head_dim"]
    dt = x.dtype
    x = lin("img_in", x)
    e = lin("txt_in", rms(e, W["txt_norm.weight"]))
    freq = torch.exp(-math.log(10000) * torch.arange(128, dtype=torch.float32, device=x.device) / 128)
    arg = 1000 * (ts.float()[:, None] * freq[None])
    proj = torch.cat([arg.cos(), arg.sin()], -1).to(dt)
    temb = lin("time_text_embed.timestep_embedder.linear_2", F.silu(lin("time_text_embed.timestep_embedder.linear_1",
                                                                         proj)))
    temb = temb + W["time_text_embed.addition_t_embedding.weight"][0].to(dt)
    pi, pt = positions(layers, grid, grid, e.shape[1])
    ai = rope_angles(pi, cfg["axes_dims_rope"]).to(x.device)
    at = rope_angles(pt, cfg["axes_dims_rope"]).to(x.device)
    B, S, L = x.shape[0], x.shape[1], e.shape[1]
    for b in range(cfg["num_layers"]):
        p = f"transformer_blocks.{b}."
        mi = lin(p + "img_mod.1", F.silu(temb))[:, None].chunk(6, -1)
        mt = lin(p + "txt_mod.1", F.silu(temb))[:, None].chunk(6, -1)
        xi = ln(x) * (1 + mi[1]) + mi[0]
        xt = ln(e) * (1 + mt[1]) + mt[0]
        split = lambda t, n: t.reshape(B, n, heads, hd)
        qi, ki, vi = (split(lin(p + "attn." + n, xi), S) for n in ("to_q", "to_k", "to_v"))
        qt, kt, vt = (split(lin(p + "attn." + n, xt), L) for n in ("add_q_proj", "add_k_proj", "add_v_proj"))
        qi, ki = rotate(rms(qi, W[p + "attn.norm_q.weight"]), ai), rotate(rms(ki, W[p + "attn.norm_k.weight"]), ai)
        qt = rotate(rms(qt, W[p + "attn.norm_added_q.weight"]), at)
        kt = rotate(rms(kt, W[p + "attn.norm_added_k.weight"]), at)
        q, k, v = (torch.cat([t, i], 1).transpose(1, 2) for t, i in ((qt, qi), (kt, ki), (vt, vi)))
        a = attention(q, k, v).transpose(1, 2).reshape(B, L + S, heads * hd)
        x = x + mi[2] * lin(p + "attn.to_out.0", a[:, L:])
        e = e + mt[2] * lin(p + "attn.to_add_out", a[:, :L])
        mlp = lambda n, t: lin(p + n + ".net.2", F.gelu(lin(p + n + ".net.0.proj", t), approximate="tanh"))
        x = x + mi[5] * mlp("img_mlp", ln(x) * (1 + mi[4]) + mi[3])
        e = e + mt[5] * mlp("txt_mlp", ln(e) * (1 + mt[4]) + mt[3])
    scale, shift = lin("norm_out.linear", F.silu(temb))[:, None].chunk(2, -1)
    return lin("proj_out", ln(x) * (1 + scale) + shift)


def main():
    d, device = sys.argv[1], sys.argv[2]
    dt = getattr(torch, sys.argv[3] if len(sys.argv) > 3 else ("bfloat16" if device.startswith("cuda") else "float32"))
    cfg = json.load(open(os.path.join(d, "transformer", "config.json")))
    W = {k: v.to(dt) for k, v in read_safetensors(os.path.join(d, "transformer",
                                                              "diffusion_pytorch_model.safetensors"), device).items()}
    I = read_safetensors(os.path.join(d, "inputs.safetensors"), device)
    x, e, ts = I["hidden_states"].to(dt), I["encoder_hidden_states"].to(dt), I["timestep"]
    grid = int(math.isqrt(x.shape[1] // (int(os.environ.get("LAYERS", "4")) + 2)))
    layers = x.shape[1] // (grid * grid) - 2
    cuda = device.startswith("cuda")
    times = []
    with torch.no_grad():
        for _ in range(3):
            if cuda:
                torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
            t0 = time.time()
            out = forward(W, cfg, x, e, ts, layers, grid)
            if cuda:
                torch.cuda.synchronize()
            times.append(time.time() - t0)
    peak = f", peak allocated {torch.cuda.max_memory_allocated() / 1e9:.3f} GB" if cuda else ""
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0) if cuda else 'cpu'}, {dt}: s/forward first "
          f"{times[0]:.3f}, median {sorted(times)[1]:.3f}{peak}")
    out = out.float()
    for f in sorted(glob.glob(os.path.join(d, "java-output-*.safetensors"))):
        j = read_safetensors(f, device)["output"]
        err = (j - out).abs().max().item()
        rel = ((j - out).pow(2).mean().sqrt() / out.pow(2).mean().sqrt()).item()
        print(f"java {os.path.basename(f)[12:-12]} vs torch: max abs error {err:.4g} (outputs up to "
              f"{out.abs().max().item():.3g}), relative RMS {rel:.4g}")
    print("PARITY-DONE")


if __name__ == "__main__":
    main()
