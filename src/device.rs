//! Backend selection: the devices this build was compiled with, and `--device NAME` parsing.
//!
//! Backends are cargo features of this crate: `flex` (default), `ndarray`, `wgpu`, `vulkan`,
//! `tch`, `cuda`. Examples, the CLI, tests and benches all pick their device here.

use burn::tensor::Device;

/// Every backend name, with the cargo feature that compiles it in.
pub const BACKENDS: &[&str] = &["flex", "ndarray", "wgpu", "vulkan", "tch", "cuda"];

/// Why a `--device` name could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceError(pub String);

impl core::fmt::Display for DeviceError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeviceError {}

/// Whether the backend `name` was compiled into this build.
pub fn is_enabled(name: &str) -> bool {
    match name {
        "flex" => cfg!(feature = "flex"),
        "ndarray" => cfg!(feature = "ndarray"),
        "wgpu" => cfg!(feature = "wgpu-unfused"),
        "vulkan" => cfg!(feature = "vulkan"),
        "tch" => cfg!(feature = "tch"),
        "cuda" => cfg!(feature = "cuda"),
        _ => false,
    }
}

/// The device for a backend name (`flex`, `ndarray`, `wgpu`, `vulkan`, `tch`, `cuda`).
///
/// Fails with a message naming the cargo feature when the backend was not compiled in.
#[allow(deprecated)] // burn 0.22 deprecates the ndarray and tch devices; they are still backends users run.
pub fn parse_device(name: &str) -> Result<Device, DeviceError> {
    if !BACKENDS.contains(&name) {
        return Err(DeviceError(format!(
            "unknown device `{name}`: expected one of {}",
            BACKENDS.join(", ")
        )));
    }
    if !is_enabled(name) {
        return Err(DeviceError(format!(
            "device `{name}` is not compiled in: rebuild with `--features {name}` (enabled here: {})",
            enabled_names().join(", ")
        )));
    }
    Ok(match name {
        #[cfg(feature = "flex")]
        "flex" => Device::flex(),
        #[cfg(feature = "ndarray")]
        "ndarray" => Device::ndarray(),
        #[cfg(feature = "wgpu-unfused")]
        "wgpu" => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
        #[cfg(feature = "vulkan")]
        "vulkan" => Device::vulkan(burn::tensor::DeviceKind::DefaultDevice),
        #[cfg(feature = "tch")]
        "tch" => Device::libtorch(),
        #[cfg(feature = "cuda")]
        "cuda" => Device::cuda(0),
        _ => unreachable!("checked by is_enabled"),
    })
}

/// `count` devices of backend `name` for data-parallel training (burn-train's
/// `ExecutionStrategy::MultiDevice`): `cuda:0 … cuda:{count−1}` for cuda; for every other
/// backend `count` handles of its one default device, each driven by its own worker thread (on a
/// CPU backend this runs the data-parallel path, with per-device batches and gradients summed on
/// the first device, without a second accelerator).
pub fn device_replicas(name: &str, count: usize) -> Result<Vec<Device>, DeviceError> {
    if count == 0 {
        return Err(DeviceError("expected at least 1 device, got 0".into()));
    }
    let first = parse_device(name)?;
    Ok(match name {
        #[cfg(feature = "cuda")]
        "cuda" => (0..count).map(Device::cuda).collect(),
        _ => vec![first; count],
    })
}

/// Names of the backends compiled into this build, in [`BACKENDS`] order.
pub fn enabled_names() -> Vec<&'static str> {
    BACKENDS.iter().copied().filter(|n| is_enabled(n)).collect()
}

/// The devices tests and benches iterate over: every enabled backend, or the comma-separated
/// subset named in `BURN_LOSSES_DEVICES` (e.g. `flex,wgpu`).
pub fn test_devices() -> Vec<(&'static str, Device)> {
    let wanted: Option<Vec<String>> = std::env::var("BURN_LOSSES_DEVICES")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
    if let Some(wanted) = &wanted {
        for name in wanted {
            if let Err(e) = parse_device(name) {
                panic!("BURN_LOSSES_DEVICES: {e}");
            }
        }
    }
    enabled_names()
        .into_iter()
        .filter(|n| wanted.as_ref().is_none_or(|w| w.iter().any(|x| x == n)))
        .map(|n| (n, parse_device(n).expect("enabled backend")))
        .collect()
}
