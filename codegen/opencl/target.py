"""What an OpenCL device is, as code generation needs it, and the schedule chosen from that.

The runtime reads the device's properties with pyopencl and hands them over as a plain
`OpenClDeviceProfile`, so code generation never talks to a driver. Two schedules:

- "register-blocked" for CPU-type devices (PoCL): one work-item per GEMM tile of ROWS x 4 vectors,
  vectors as wide as the device's native float width, weights pre-packed, plain a*b+c; PoCL's
  compiler turns this into the same code an LLVM CPU kernel gets (measured ~80 % of it), while
  `__local`-memory tiling ran at a few percent of that on PoCL.
- "local-tiled" for GPUs (and accelerators): many small work-items; MatMul and Convolution
  GEMMs use work-groups that stage tiles of both operands in `__local` memory
  (see `gemm_kernels.py`).
"""

from dataclasses import dataclass, field

from vinify.codegen.target import CPU_OPS, Target

REGISTER_BLOCKED = "register-blocked"
LOCAL_TILED = "local-tiled"
SCHEDULES = (REGISTER_BLOCKED, LOCAL_TILED)
MAP_LANES = 4


@dataclass(frozen=True)
class OpenClDeviceProfile:
    """The properties of one OpenCL device that decide how its code is generated."""

    name: str
    platform: str = ""
    device_type: str = "CPU"  # CL_DEVICE_TYPE as text: CPU, GPU, ACCELERATOR
    compute_units: int = 1
    local_memory_bytes: int = 0
    local_memory_is_global: bool = False  # CL_GLOBAL: "local" memory is emulated
    native_float_width: int = 4
    max_work_group_size: int = 1
    extensions: tuple[str, ...] = field(default_factory=tuple)
    driver_version: str = ""

    @property
    def key(self) -> str:
        """Identifies the compiler that built a program binary (device and driver)."""
        return f"{self.platform}|{self.name}|{self.driver_version}"

    @property
    def has_fp16(self) -> bool:
        return "cl_khr_fp16" in self.extensions

    def schedule(self) -> str:
        """GPU-style local-memory tiling only where local memory is real and plentiful."""
        if self.device_type == "CPU" or self.local_memory_is_global:
            return REGISTER_BLOCKED
        if self.local_memory_bytes < 16 * 1024 or self.max_work_group_size < 64:
            return REGISTER_BLOCKED
        return LOCAL_TILED


def vector_lanes(profile: OpenClDeviceProfile, schedule: str) -> int:
    """f32 lanes per vector of the scheduled GEMMs: the device's native width on CPUs
    (4..16), 4 on GPUs (one work-item's registers are few, and GPUs vectorize across
    work-items instead)."""
    if schedule == LOCAL_TILED:
        return 4
    width = max(4, min(16, profile.native_float_width))
    return 1 << (width.bit_length() - 1)


def map_lanes(profile: OpenClDeviceProfile, schedule: str) -> int:
    """f32 lanes per vector of every other kernel (maps, pools, reductions): at most
    MAP_LANES. Their rows are often short (a 28-wide row is 16 + a masked 12 at 16 lanes) and
    a partial vector costs OpenCL C a lane-by-lane access; measured on PoCL (AVX-512), a 3x3
    average pool over 28x28 planes ran 2.2x faster at 4 lanes than at 16."""
    return min(MAP_LANES, vector_lanes(profile, schedule))


def opencl_target(profile: OpenClDeviceProfile, schedule: str | None = None) -> Target:
    """The shared lowering's Target for this device: lanes and the work-item count to aim at."""
    schedule = schedule or profile.schedule()
    # The GEMM lowering makes about 8 tiles per "thread"; a GPU needs thousands of work-items.
    threads = profile.compute_units if schedule == REGISTER_BLOCKED else profile.compute_units * 32
    return Target(name=f"opencl-{schedule}", cpu_name=profile.name, features=(),
                  vector_lanes=map_lanes(profile, schedule), threads=max(threads, 1),
                  ops=CPU_OPS, extra={"schedule": schedule,
                                      "gemm_lanes": vector_lanes(profile, schedule)})
