# Loads the op library archive that Layered's Java code builds and runs each op on CUDA, bf16 and float32.
import torch, sys, time
print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0), flush=True)
m = torch.jit.load("tools/gpu-check/ops.pt", map_location="cuda")
dev = "cuda:0"
torch.manual_seed(0)
q = torch.randn(1, 24, 1024, 128, device=dev); k = torch.randn_like(q); v = torch.randn_like(q)
mask = torch.ones(1, 1, 1, 1024, dtype=torch.bool, device=dev); mask[..., 900:] = False
ref = torch.softmax(q @ k.transpose(-1, -2) / 128 ** 0.5 + torch.where(mask, 0.0, float("-inf")), -1) @ v
out32 = m.sdpa_masked(q, k, v, mask)
print("sdpa f32 masked max err", (out32 - ref).abs().max().item())
qb, kb, vb = (m.cast(t, 15) for t in (q, k, v))
outb = m.sdpa_masked(qb, kb, vb, mask)
print("sdpa bf16 dtype", outb.dtype, "max err vs f32", (outb.float() - ref).abs().max().item())
raw = torch.tensor([0x80, 0x3f, 0x00, 0xc0], dtype=torch.uint8, device=dev)
print("from_bytes bf16", m.from_bytes(raw, 15, [2]).tolist())
x = torch.randn(4, 64, 32, 32, device=dev)
for name, f in [("rms", lambda t: m.rms_normalize(t, 1, 1e-6)), ("l2", lambda t: m.l2_normalize(t, 1, 1e-12)),
                ("layer_norm", lambda t: m.layer_norm(t, 32, 1e-6)), ("silu", m.silu), ("gelu", m.gelu_tanh),
                ("softmax", lambda t: m.softmax(t, -1)), ("up", lambda t: m.upsample_nearest2d(t, [64, 64]))]:
    a = f(x); b = f(m.cast(x, 15))
    print(name, "bf16 dtype", b.dtype, "max err", (b.float() - a).abs().max().item())
w = torch.randn(64, 64, 3, 3, device=dev); bias = torch.randn(64, device=dev)
c32 = m.conv2d(x, w, bias, [1, 1], [1, 1]); cb = m.conv2d(m.cast(x, 15), m.cast(w, 15), m.cast(bias, 15), [1, 1], [1, 1])
print("conv2d bf16 rel err", ((cb.float() - c32).abs().max() / c32.abs().max()).item())
z = m.zeros([2, 3], 15, "cuda:0"); print("zeros", z.dtype, z.device)
torch.cuda.synchronize()
for dt, name in ((q, "f32"), (qb, "bf16")):
    kk = dt; t0 = time.time()
    for _ in range(20): m.sdpa(dt, dt, dt)
    torch.cuda.synchronize(); print("sdpa", name, "ms/call", (time.time() - t0) / 20 * 1000)
print("GPU-CHECK-OK")
