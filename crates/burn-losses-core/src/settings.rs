//! [`LossSettings`]: the three switches that change how a loss runs — value checks off
//! ([trusted inputs](crate::set_trusted_inputs)), the [fused kernels](crate::set_fused_kernels),
//! the [device group](crate::DeviceGroup) — as one explicit value.

use crate::fused::{fused_kernels_enabled, set_fused_kernels};
use crate::group::{DeviceGroup, current_device_group, in_device_group};
use crate::tensor::checks::{set_trusted_inputs, trusted_inputs};

/// How the losses computed inside [`scope`](Self::scope) run.
///
/// Each switch is per thread (a loss is computed on the thread that calls it), so a setting made
/// with [`set_trusted_inputs`] / [`set_fused_kernels`] on the main thread does not reach the
/// worker threads of a data-parallel strategy (burn-train's `MultiDevice` runs each device's
/// step on its own thread). Carry a `LossSettings` with the code that computes the loss instead:
/// burn-losses-train's adapters hold one (`with_settings`, `with_trusted_inputs`,
/// `with_fused_kernels`, `with_device_group`) and apply it around every loss call, on whichever
/// thread the step runs, so every worker behaves as the main thread.
///
/// ```
/// use burn_losses_core::{LossSettings, fused_kernels_enabled, trusted_inputs};
///
/// let settings = LossSettings::new().with_trusted_inputs(true).with_fused_kernels(false);
/// let worker = std::thread::spawn(move || settings.scope(|| (trusted_inputs(), fused_kernels_enabled())));
/// assert_eq!(worker.join().unwrap(), (true, false));
/// assert_eq!((trusted_inputs(), fused_kernels_enabled()), (false, true)); // this thread unchanged
/// ```
#[derive(Debug, Clone)]
pub struct LossSettings {
    /// `true` skips the input checks that read tensor values back to the host (see
    /// [`set_trusted_inputs`]). Default `false`.
    pub trusted_inputs: bool,
    /// `false` takes the composed tensor-op path instead of the fused kernels (see
    /// [`set_fused_kernels`]). Default `true`.
    pub fused_kernels: bool,
    /// The device group whose batch statistics the losses join while training (see
    /// [`DeviceGroup`]). Default `None`: per device.
    pub device_group: Option<DeviceGroup>,
}

impl Default for LossSettings {
    fn default() -> Self {
        Self {
            trusted_inputs: false,
            fused_kernels: true,
            device_group: None,
        }
    }
}

impl LossSettings {
    /// The defaults: value checks on, fused kernels on, no device group.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether these are the defaults (what an adapter's summary leaves out).
    pub fn is_default(&self) -> bool {
        !self.trusted_inputs && self.fused_kernels && self.device_group.is_none()
    }

    /// The settings in force on the current thread.
    pub fn current() -> Self {
        Self {
            trusted_inputs: trusted_inputs(),
            fused_kernels: fused_kernels_enabled(),
            device_group: current_device_group(),
        }
    }

    /// Sets [`trusted_inputs`](Self::trusted_inputs).
    pub fn with_trusted_inputs(mut self, trusted: bool) -> Self {
        self.trusted_inputs = trusted;
        self
    }

    /// Sets [`fused_kernels`](Self::fused_kernels).
    pub fn with_fused_kernels(mut self, enabled: bool) -> Self {
        self.fused_kernels = enabled;
        self
    }

    /// Sets [`device_group`](Self::device_group).
    pub fn with_device_group(mut self, group: Option<DeviceGroup>) -> Self {
        self.device_group = group;
        self
    }

    /// Runs `f` with these settings on the current thread and restores the previous ones
    /// afterwards, also when `f` panics.
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Restore {
            trusted: bool,
            fused: bool,
        }
        impl Drop for Restore {
            fn drop(&mut self) {
                set_trusted_inputs(self.trusted);
                set_fused_kernels(self.fused);
            }
        }
        let _restore = Restore {
            trusted: set_trusted_inputs(self.trusted_inputs),
            fused: set_fused_kernels(self.fused_kernels),
        };
        in_device_group(self.device_group.as_ref(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::LossSettings;
    use crate::fused::fused_kernels_enabled;
    use crate::group::{DeviceGroup, current_device_group};
    use crate::tensor::checks::trusted_inputs;

    #[test]
    fn a_scope_applies_every_switch_and_restores_them_even_after_a_panic() {
        let group = DeviceGroup::new(1);
        let settings = LossSettings::new()
            .with_trusted_inputs(true)
            .with_fused_kernels(false)
            .with_device_group(Some(group));
        let inside = settings.scope(|| {
            (
                trusted_inputs(),
                fused_kernels_enabled(),
                current_device_group().is_some(),
            )
        });
        assert_eq!(inside, (true, false, true));
        assert!(!LossSettings::current().trusted_inputs);
        assert!(LossSettings::current().fused_kernels);
        assert!(LossSettings::current().device_group.is_none());
        let panicked = std::panic::catch_unwind(|| settings.scope(|| panic!("inside")));
        assert!(panicked.is_err());
        let now = LossSettings::current();
        assert_eq!(
            (now.trusted_inputs, now.fused_kernels, now.device_group.is_none()),
            (false, true, true)
        );
        // nested scopes restore the outer one
        settings.scope(|| {
            LossSettings::new().scope(|| assert!(!trusted_inputs() && fused_kernels_enabled()));
            assert!(trusted_inputs() && !fused_kernels_enabled());
        });
    }
}
