//! The device, its queue, a pipeline cache and buffer helpers, built once and reused.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};

use bytemuck::Pod;

use super::adapter::{self, GpuOptions};
use crate::error::{Result, SboError};

/// (key, entry point, hash of the WGSL source, constants sorted by name as bit patterns).
type PipelineKey = (String, String, u64, Vec<(String, u64)>);

/// Something that went wrong outside an error scope, recorded by a callback.
type Slot = Arc<Mutex<Option<SboError>>>;

/// A wgpu device and queue with everything `sbo` needs around them. Create one per process
/// (adapter and device creation take from tens of milliseconds to seconds) and share it by
/// reference or `Arc`: it is `Send + Sync`.
///
/// Every method returns an [`SboError`] rather than panicking on device errors: calls that
/// create or submit GPU objects run inside validation, internal and out-of-memory error scopes,
/// and a lost device is remembered and reported by every later call. Error scopes are
/// per-thread in wgpu, so concurrent use from several threads is fine.
pub struct GpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    software: bool,
    lost: Slot,
    uncaptured: Slot,
    pipelines: Mutex<HashMap<PipelineKey, Arc<wgpu::ComputePipeline>>>,
    staging: Mutex<Option<wgpu::Buffer>>,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext")
            .field("adapter", &self.info.name)
            .field("backend", &self.info.backend)
            .field("software", &self.software)
            .finish_non_exhaustive()
    }
}

/// Locks, recovering from poisoning (the guarded data stays consistent: every critical section
/// here either completes or leaves a value that is merely stale).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A wgpu error as one string: its description and every distinct source below it (the shader
/// compiler's diagnostic is usually in a source).
fn describe(e: &wgpu::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
        src = s.source();
    }
    msg
}

/// Errors caught by [`GpuContext::catch`].
#[derive(Default)]
struct Caught {
    validation: Option<wgpu::Error>,
    internal: Option<wgpu::Error>,
    oom: Option<wgpu::Error>,
}

impl Caught {
    fn is_empty(&self) -> bool {
        self.validation.is_none() && self.internal.is_none() && self.oom.is_none()
    }

    /// Validation or internal errors as one message, or `None`.
    fn message(&self) -> Option<String> {
        let parts: Vec<String> = [&self.validation, &self.internal]
            .into_iter()
            .flatten()
            .map(describe)
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

fn round_up4(n: u64) -> u64 {
    n.div_ceil(wgpu::COPY_BUFFER_ALIGNMENT) * wgpu::COPY_BUFFER_ALIGNMENT
}

impl GpuContext {
    /// Picks an adapter per `opts` and opens a device on it with the adapter's own limits (so
    /// compute gets the full storage-buffer size, workgroup storage and invocations the
    /// hardware has, not WebGPU's conservative defaults) and subgroup support when available.
    pub fn new(opts: &GpuOptions) -> Result<Self> {
        let instance = adapter::instance();
        let adapter = adapter::select(adapter::enumerate(&instance), opts)?;
        let info = adapter.get_info();
        let features = adapter.features() & wgpu::Features::SUBGROUP;
        let full = adapter.limits();
        let request = |limits: wgpu::Limits| {
            let desc = wgpu::DeviceDescriptor {
                label: Some("sbo"),
                required_features: features,
                required_limits: limits,
                memory_hints: wgpu::MemoryHints::Performance,
                ..Default::default()
            };
            pollster::block_on(adapter.request_device(&desc))
        };
        let (device, queue) = match request(full.clone()) {
            Ok(dq) => dq,
            Err(first) => {
                // Some drivers refuse their own advertised maximum for a non-compute limit;
                // retry with WebGPU's downlevel defaults and the compute limits raised.
                let d = wgpu::Limits::downlevel_defaults();
                let limits = wgpu::Limits {
                    max_storage_buffer_binding_size: full.max_storage_buffer_binding_size,
                    max_buffer_size: full.max_buffer_size,
                    max_compute_workgroup_storage_size: full.max_compute_workgroup_storage_size,
                    max_compute_invocations_per_workgroup: full
                        .max_compute_invocations_per_workgroup,
                    max_compute_workgroup_size_x: full.max_compute_workgroup_size_x,
                    max_compute_workgroup_size_y: full.max_compute_workgroup_size_y,
                    max_compute_workgroup_size_z: full.max_compute_workgroup_size_z,
                    max_compute_workgroups_per_dimension: full.max_compute_workgroups_per_dimension,
                    max_storage_buffers_per_shader_stage: full.max_storage_buffers_per_shader_stage,
                    ..d
                };
                request(limits).map_err(|e| {
                    SboError::gpu(format!(
                        "requesting a device on {} ({:?}): {first}; retry with downlevel limits: {e}",
                        info.name, info.backend
                    ))
                })?
            }
        };
        let ctx = Self::build(device, queue, info);
        // Our own device: turn errors that escape every scope into a reported error instead of
        // wgpu's default panic.
        let slot = ctx.uncaptured.clone();
        ctx.device
            .on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                let mut s = lock(&slot);
                if s.is_none() {
                    *s = Some(SboError::gpu(format!("uncaptured: {}", describe(&e))));
                }
            }));
        Ok(ctx)
    }

    /// Wraps a device and queue created by an embedding program. The context registers its own
    /// device-lost callback (replacing any set before) but leaves the uncaptured-error handler
    /// alone. The usable limits are the device's (`device.limits()`).
    pub fn from_device(
        device: wgpu::Device,
        queue: wgpu::Queue,
        adapter_info: wgpu::AdapterInfo,
    ) -> Self {
        Self::build(device, queue, adapter_info)
    }

    fn build(device: wgpu::Device, queue: wgpu::Queue, info: wgpu::AdapterInfo) -> Self {
        let lost: Slot = Arc::new(Mutex::new(None));
        let slot = lost.clone();
        device.set_device_lost_callback(move |reason, msg| {
            let msg = if msg.is_empty() {
                "no message from the driver (destroyed, dropped, or reset)".to_string()
            } else {
                msg
            };
            *lock(&slot) = Some(SboError::GpuDeviceLost {
                reason: format!("{reason:?}"),
                msg,
            });
        });
        GpuContext {
            limits: device.limits(),
            software: adapter::is_software(&info),
            device,
            queue,
            info,
            lost,
            uncaptured: Arc::new(Mutex::new(None)),
            pipelines: Mutex::new(HashMap::new()),
            staging: Mutex::new(None),
        }
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// The limits the device was created with (what kernels may rely on).
    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// lavapipe/llvmpipe and the like: correct but slow; timings mean nothing.
    pub fn is_software(&self) -> bool {
        self.software
    }

    /// Whether kernels may use WGSL subgroup operations (`enable subgroups;`).
    pub fn supports_subgroups(&self) -> bool {
        self.device.features().contains(wgpu::Features::SUBGROUP)
    }

    /// `Err` if the device was lost or an error escaped every error scope; such an error is
    /// reported once and then cleared, a lost device stays lost.
    pub fn check(&self) -> Result<()> {
        if let Some(SboError::GpuDeviceLost { reason, msg }) = lock(&self.lost).as_ref() {
            return Err(SboError::GpuDeviceLost {
                reason: reason.clone(),
                msg: msg.clone(),
            });
        }
        match lock(&self.uncaptured).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Runs `f` inside validation, internal and out-of-memory error scopes.
    fn catch<R>(&self, f: impl FnOnce() -> R) -> (R, Caught) {
        let v = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let i = self.device.push_error_scope(wgpu::ErrorFilter::Internal);
        let o = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let r = f();
        let oom = pollster::block_on(o.pop());
        let internal = pollster::block_on(i.pop());
        let validation = pollster::block_on(v.pop());
        (
            r,
            Caught {
                validation,
                internal,
                oom,
            },
        )
    }

    /// `Ok` unless `caught` holds something; `what` names the operation for the message.
    /// Runs `f` (which creates GPU objects or records and submits work) inside validation,
    /// internal and out-of-memory error scopes; any error becomes an [`SboError`] naming `what`.
    pub fn scoped<R>(&self, what: &str, bytes: u64, f: impl FnOnce() -> R) -> Result<R> {
        self.check()?;
        let (r, caught) = self.catch(f);
        self.caught_to_result(what, bytes, caught)?;
        Ok(r)
    }

    fn caught_to_result(&self, what: &str, bytes: u64, caught: Caught) -> Result<()> {
        self.check()?;
        if caught.is_empty() {
            return Ok(());
        }
        if caught.oom.is_some() {
            return Err(SboError::GpuOutOfMemory {
                what: what.to_string(),
                bytes,
            });
        }
        Err(SboError::gpu(format!(
            "{what}: {}",
            caught.message().unwrap_or_default()
        )))
    }

    /// A compute pipeline for entry point `entry` of the WGSL module `wgsl`, specialised by
    /// the `override` constants `constants`, compiled once and cached by (`key`, `entry`,
    /// source, constants). The layout is derived from the shader (`layout: None`), so bind
    /// group `g` is `pipeline.get_bind_group_layout(g)` and holds only the bindings the entry
    /// point uses. A shader that does not compile, or a constant it does not declare, gives
    /// [`SboError::GpuShader`] with `key` as the label and the compiler's message.
    pub fn pipeline(
        &self,
        key: &str,
        wgsl: &str,
        entry: &str,
        constants: &[(&str, f64)],
    ) -> Result<Arc<wgpu::ComputePipeline>> {
        self.pipeline_with_layout(key, wgsl, entry, constants, None)
    }

    /// [`Self::pipeline`] with an explicit pipeline layout (`None`: derived from the shader).
    /// Kernels that share bind groups use one explicit layout, so a binding a kernel does not
    /// touch still has its place. The cache key must name the layout (through `key`).
    pub fn pipeline_with_layout(
        &self,
        key: &str,
        wgsl: &str,
        entry: &str,
        constants: &[(&str, f64)],
        layout: Option<&wgpu::PipelineLayout>,
    ) -> Result<Arc<wgpu::ComputePipeline>> {
        self.check()?;
        let mut consts: Vec<(String, u64)> = constants
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_bits()))
            .collect();
        consts.sort();
        let mut h = DefaultHasher::new();
        wgsl.hash(&mut h);
        let cache_key = (key.to_string(), entry.to_string(), h.finish(), consts);
        // Held while compiling: one compilation per key, even when threads race for it.
        let mut cache = lock(&self.pipelines);
        if let Some(p) = cache.get(&cache_key) {
            return Ok(p.clone());
        }
        let shader_err = |msg: String| SboError::GpuShader {
            label: key.to_string(),
            msg,
        };
        let checks = wgpu::ShaderRuntimeChecks {
            force_loop_bounding: false,
            ..wgpu::ShaderRuntimeChecks::checked()
        };
        let desc = wgpu::ShaderModuleDescriptor {
            label: Some(key),
            source: wgpu::ShaderSource::Wgsl(wgsl.into()),
        };
        // SAFETY: the kernels sbo composes only loop over bounded ranges (steps, batches,
        // features, CG iterations), so wgpu's injected loop bounding is not needed for
        // termination; with it, lavapipe cut long multi-iteration dispatches short. Bounds
        // checks stay on.
        let (module, caught) =
            self.catch(|| unsafe { self.device.create_shader_module_trusted(desc, checks) });
        self.check()?;
        if let Some(msg) = caught.message() {
            return Err(shader_err(msg));
        }
        if caught.oom.is_some() {
            return Err(shader_err("out of memory compiling the module".into()));
        }
        // A shader compiler bug can panic inside wgpu (seen in naga's override processing):
        // report it as a shader error instead of taking the program down.
        let created = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.catch(|| {
                self.device
                    .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                        label: Some(key),
                        layout,
                        module: &module,
                        entry_point: Some(entry),
                        compilation_options: wgpu::PipelineCompilationOptions {
                            constants,
                            zero_initialize_workgroup_memory: true,
                        },
                        cache: None,
                    })
            })
        }));
        let Ok((pipeline, caught)) = created else {
            return Err(shader_err(format!(
                "the shader compiler panicked creating the pipeline for entry point `{entry}` \
                 (a wgpu/naga bug; the message is above)"
            )));
        };
        self.check()?;
        if let Some(msg) = caught.message() {
            return Err(shader_err(format!(
                "pipeline for entry point `{entry}`: {msg}"
            )));
        }
        if caught.oom.is_some() {
            return Err(shader_err("out of memory creating the pipeline".into()));
        }
        let p = Arc::new(pipeline);
        cache.insert(cache_key, p.clone());
        Ok(p)
    }

    /// Number of pipelines compiled so far.
    pub fn cached_pipelines(&self) -> usize {
        lock(&self.pipelines).len()
    }

    fn check_limit(&self, what: &str, limit: &'static str, need: u64, max: u64) -> Result<()> {
        if need > max {
            return Err(SboError::GpuLimit {
                what: what.to_string(),
                limit,
                need,
                max,
            });
        }
        Ok(())
    }

    /// A buffer of `size` bytes (rounded up to a multiple of 4, at least 4), zero-filled.
    /// Out of memory gives [`SboError::GpuOutOfMemory`] naming `label` and the size.
    pub fn create_buffer(
        &self,
        label: &str,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer> {
        self.check()?;
        let size = round_up4(size.max(4));
        self.check_limit(label, "max_buffer_size", size, self.limits.max_buffer_size)?;
        if usage.contains(wgpu::BufferUsages::STORAGE) {
            self.check_limit(
                label,
                "max_storage_buffer_binding_size",
                size,
                self.limits.max_storage_buffer_binding_size,
            )?;
        }
        let (buffer, caught) = self.catch(|| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        });
        self.caught_to_result(&format!("buffer `{label}`"), size, caught)?;
        Ok(buffer)
    }

    /// A storage buffer (also `COPY_SRC | COPY_DST`) holding `data`.
    pub fn storage_buffer<T: Pod>(&self, label: &str, data: &[T]) -> Result<wgpu::Buffer> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let buffer = self.storage_buffer_zeroed(label, bytes.len() as u64)?;
        self.write_buffer(&buffer, 0, data)?;
        Ok(buffer)
    }

    /// A zero-filled storage buffer (also `COPY_SRC | COPY_DST`) of `bytes` bytes.
    pub fn storage_buffer_zeroed(&self, label: &str, bytes: u64) -> Result<wgpu::Buffer> {
        self.create_buffer(
            label,
            bytes,
            wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
        )
    }

    /// A uniform buffer (also `COPY_DST`) holding `value`. WGSL uniform layout rules apply
    /// (16-byte alignment of structs and vectors): pad `T` accordingly.
    pub fn uniform_buffer<T: Pod>(&self, label: &str, value: &T) -> Result<wgpu::Buffer> {
        let bytes = bytemuck::bytes_of(value);
        let buffer = self.create_buffer(
            label,
            bytes.len() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        )?;
        self.write_buffer(&buffer, 0, std::slice::from_ref(value))?;
        Ok(buffer)
    }

    /// Queues a write of `data` at `byte_offset` (a multiple of 4); it lands before the next
    /// submission's commands run. Data whose size is not a multiple of 4 is zero-padded.
    pub fn write_buffer<T: Pod>(
        &self,
        buffer: &wgpu::Buffer,
        byte_offset: u64,
        data: &[T],
    ) -> Result<()> {
        self.check()?;
        let bytes: &[u8] = bytemuck::cast_slice(data);
        if bytes.is_empty() {
            return Ok(());
        }
        let padded;
        let bytes = if bytes.len().is_multiple_of(4) {
            bytes
        } else {
            let mut v = bytes.to_vec();
            v.resize(round_up4(bytes.len() as u64) as usize, 0);
            padded = v;
            &padded[..]
        };
        if !byte_offset.is_multiple_of(4) || byte_offset + bytes.len() as u64 > buffer.size() {
            return Err(SboError::gpu(format!(
                "write of {} bytes at offset {byte_offset} into a buffer of {} bytes \
                 (offset must be a multiple of 4 and the write must fit)",
                bytes.len(),
                buffer.size()
            )));
        }
        let ((), caught) = self.catch(|| self.queue.write_buffer(buffer, byte_offset, bytes));
        self.caught_to_result("buffer write", bytes.len() as u64, caught)
    }

    /// A bind group for group `group` of `pipeline` with `buffers[i]` (whole) at binding `i`.
    pub fn bind_group(
        &self,
        label: &str,
        pipeline: &wgpu::ComputePipeline,
        group: u32,
        buffers: &[&wgpu::Buffer],
    ) -> Result<wgpu::BindGroup> {
        self.check()?;
        let (layout, caught) = self.catch(|| pipeline.get_bind_group_layout(group));
        self.caught_to_result(&format!("bind group layout `{label}`"), 0, caught)?;
        self.bind_buffers(label, &layout, buffers)
    }

    /// A bind group of `layout` with `buffers[i]` (whole) at binding `i`.
    pub fn bind_buffers(
        &self,
        label: &str,
        layout: &wgpu::BindGroupLayout,
        buffers: &[&wgpu::Buffer],
    ) -> Result<wgpu::BindGroup> {
        self.check()?;
        let (bg, caught) = self.catch(|| {
            let entries: Vec<wgpu::BindGroupEntry<'_>> = buffers
                .iter()
                .enumerate()
                .map(|(i, b)| wgpu::BindGroupEntry {
                    binding: i as u32,
                    resource: b.as_entire_binding(),
                })
                .collect();
            self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(label),
                layout,
                entries: &entries,
            })
        });
        self.caught_to_result(&format!("bind group `{label}`"), 0, caught)?;
        Ok(bg)
    }

    /// Records and submits one dispatch of `pipeline` over `workgroups` with `buffers` bound
    /// as group 0 (binding i = `buffers[i]`). Does not wait: call [`Self::wait`] or
    /// [`Self::read_back`] (which waits) afterwards.
    pub fn dispatch(
        &self,
        label: &str,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&wgpu::Buffer],
        workgroups: [u32; 3],
    ) -> Result<()> {
        let max = self.limits.max_compute_workgroups_per_dimension;
        for w in workgroups {
            self.check_limit(
                &format!("dispatch `{label}` {workgroups:?}"),
                "max_compute_workgroups_per_dimension",
                w as u64,
                max as u64,
            )?;
        }
        let bg = self.bind_group(label, pipeline, 0, buffers)?;
        let (_, caught) = self.catch(|| {
            let mut enc = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some(label),
                    timestamp_writes: None,
                });
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &bg, &[]);
                pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
            }
            self.queue.submit(Some(enc.finish()))
        });
        self.caught_to_result(&format!("dispatch `{label}`"), 0, caught)
    }

    /// Blocks until all submitted work has finished.
    pub fn wait(&self) -> Result<()> {
        self.check()?;
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| SboError::gpu(format!("waiting for the device: {e}")))?;
        self.check()
    }

    /// Copies `len` values of `T` starting at `byte_offset` (a multiple of 4) of `buffer`
    /// (which needs `COPY_SRC`) to the host, through a staging buffer reused across calls, and
    /// waits for it. Waits for all previously submitted work too.
    pub fn read_back<T: Pod>(
        &self,
        buffer: &wgpu::Buffer,
        byte_offset: u64,
        len: usize,
    ) -> Result<Vec<T>> {
        self.check()?;
        let elem = std::mem::size_of::<T>() as u64;
        let bytes = len as u64 * elem;
        if bytes == 0 {
            return Ok(vec![T::zeroed(); len]);
        }
        let copy = round_up4(bytes);
        if !byte_offset.is_multiple_of(4)
            || byte_offset + copy > buffer.size()
            || !buffer.usage().contains(wgpu::BufferUsages::COPY_SRC)
        {
            return Err(SboError::gpu(format!(
                "read back of {bytes} bytes at offset {byte_offset} from a buffer of {} bytes \
                 (usage {:?}): the offset must be a multiple of 4, the range (rounded up to 4) \
                 must fit and the buffer needs COPY_SRC",
                buffer.size(),
                buffer.usage()
            )));
        }
        let mut staging = lock(&self.staging);
        if staging.as_ref().is_none_or(|s| s.size() < copy) {
            let size = copy
                .next_power_of_two()
                .clamp(1 << 16, self.limits.max_buffer_size.max(copy));
            *staging = Some(self.create_buffer(
                "sbo readback staging",
                size,
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            )?);
        }
        let Some(st) = staging.as_ref() else {
            return Err(SboError::gpu("readback staging buffer missing"));
        };
        let result = self.read_via(st, buffer, byte_offset, copy, bytes);
        if result.is_err() {
            // The staging buffer may be left mapped or invalid: start afresh next time.
            *staging = None;
        }
        result
    }

    fn read_via<T: Pod>(
        &self,
        staging: &wgpu::Buffer,
        src: &wgpu::Buffer,
        byte_offset: u64,
        copy: u64,
        bytes: u64,
    ) -> Result<Vec<T>> {
        let (_, caught) = self.catch(|| {
            let mut enc = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("sbo readback"),
                });
            enc.copy_buffer_to_buffer(src, byte_offset, staging, 0, copy);
            self.queue.submit(Some(enc.finish()))
        });
        self.caught_to_result("readback copy", copy, caught)?;
        let (tx, rx) = mpsc::channel();
        let slice = staging.slice(0..copy);
        slice.map_async(wgpu::MapMode::Read, move |r| {
            // The receiver only goes away if we already returned an error.
            let _ = tx.send(r);
        });
        self.wait()?;
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                self.check()?;
                return Err(SboError::gpu(format!("mapping the readback buffer: {e}")));
            }
            Err(_) => {
                self.check()?;
                return Err(SboError::gpu(
                    "mapping the readback buffer: the callback never ran",
                ));
            }
        }
        let out = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| SboError::gpu(format!("reading the mapped staging buffer: {e}")))?;
            // pod_collect_to_vec copies, so the mapped bytes need no alignment for T.
            bytemuck::pod_collect_to_vec::<u8, T>(&view[..bytes as usize])
        };
        staging.unmap();
        Ok(out)
    }
}
