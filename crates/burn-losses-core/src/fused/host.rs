//! The CPU backends' side of the fused kernels: the tensors of flex and ndarray as slices, and
//! one autodiff node (the input as its only parent) whose backward is the kernel's gradient pass.

use std::borrow::Cow;

use burn::backend::Backend;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::{
    BalancedCheckpointing, CheckpointStrategy, NoCheckpointing,
};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::{Autodiff, DispatchKindConversion, DispatchTensor};
use burn::tensor::{Tensor, TensorData};

use super::kernel::HostKernel;
use crate::error::LossResult;

/// A CPU backend whose f32 tensors the kernels read as slices and build from vectors.
pub(crate) trait HostBackend: Backend {
    /// The values in row-major order: borrowed when contiguous, else copied.
    fn values(t: &Self::FloatTensorPrimitive) -> Cow<'_, [f32]>;
    /// A 1-D tensor of `values`.
    fn tensor(values: Vec<f32>) -> Self::FloatTensorPrimitive;
}

#[cfg(feature = "flex")]
impl HostBackend for burn::backend::Flex {
    fn values(t: &Self::FloatTensorPrimitive) -> Cow<'_, [f32]> {
        match t.as_slice::<f32>() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(
                t.to_contiguous()
                    .as_slice::<f32>()
                    .expect("a contiguous f32 flex tensor")
                    .to_vec(),
            ),
        }
    }

    fn tensor(values: Vec<f32>) -> Self::FloatTensorPrimitive {
        let n = values.len();
        burn::backend::flex::FlexTensor::from_data(TensorData::new(values, [n]))
    }
}

#[cfg(feature = "ndarray")]
#[allow(deprecated)] // burn 0.22 deprecates burn-ndarray; it is still one of this crate's backends
impl HostBackend for burn::backend::NdArray {
    fn values(t: &Self::FloatTensorPrimitive) -> Cow<'_, [f32]> {
        use burn::backend::ndarray::NdArrayTensor;
        match t {
            NdArrayTensor::F32(storage) => {
                let view = storage.view();
                match view.to_slice() {
                    Some(s) => Cow::Borrowed(s),
                    None => Cow::Owned(view.iter().copied().collect()),
                }
            }
            _ => unreachable!("`applies` admits f32 ndarray tensors only"),
        }
    }

    fn tensor(values: Vec<f32>) -> Self::FloatTensorPrimitive {
        let n = values.len();
        burn::backend::ndarray::NdArrayTensor::from_data(TensorData::new(values, [n]))
    }
}

/// The class indices of an integer tensor on ndarray (with or without autodiff), read in place:
/// burn-ndarray's `into_data` walks them one by one (25 ns each, measured). `None` for any
/// other tensor.
#[cfg(feature = "ndarray")]
#[allow(deprecated)] // burn 0.22 deprecates burn-ndarray; it is still one of this crate's backends
pub(crate) fn ndarray_indices(t: &Tensor<1, burn::tensor::Int>) -> Option<Vec<i64>> {
    use burn::backend::NdArray;
    use burn::backend::ndarray::NdArrayTensor;
    let primitive = t
        .clone()
        .try_into_primitive::<NdArray>()
        .or_else(|_| {
            t.clone()
                .try_into_primitive::<Autodiff<NdArray, NoCheckpointing>>()
        })
        .or_else(|_| {
            t.clone()
                .try_into_primitive::<Autodiff<NdArray, BalancedCheckpointing>>()
        })
        .ok()?;
    macro_rules! indices {
        ($storage:expr) => {{
            let view = $storage.view();
            Some(match view.to_slice() {
                Some(s) => s.iter().map(|&v| v as i64).collect(),
                None => view.iter().map(|&v| v as i64).collect(),
            })
        }};
    }
    match &primitive {
        NdArrayTensor::I64(storage) => indices!(storage),
        NdArrayTensor::I32(storage) => indices!(storage),
        _ => None,
    }
}

/// The kernel's checks, then its forward, on plain tensors of `B`.
fn forward<B: HostBackend, K: HostKernel>(
    kernel: &mut K,
    x: &B::FloatTensorPrimitive,
    constants: &[B::FloatTensorPrimitive],
) -> B::FloatTensorPrimitive {
    let values: Vec<Cow<'_, [f32]>> = constants.iter().map(B::values).collect();
    let slices: Vec<&[f32]> = values.iter().map(|v| v.as_ref()).collect();
    B::tensor(kernel.forward(&B::values(x), &slices))
}

fn check<B: HostBackend, K: HostKernel>(
    kernel: &K,
    x: &B::FloatTensorPrimitive,
    constants: &[B::FloatTensorPrimitive],
) -> LossResult<()> {
    let values: Vec<Cow<'_, [f32]>> = constants.iter().map(B::values).collect();
    let slices: Vec<&[f32]> = values.iter().map(|v| v.as_ref()).collect();
    kernel.check(&B::values(x), &slices)
}

/// The backward step of a fused kernel `K`.
#[derive(Debug)]
struct KernelBackward<K>(std::marker::PhantomData<K>);

impl<B: HostBackend, K: HostKernel> Backward<B, 1> for KernelBackward<K> {
    type State = (B::FloatTensorPrimitive, Vec<B::FloatTensorPrimitive>, K);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (x, constants, kernel) = ops.state;
        unary::<B, _>(ops.parents, ops.node, grads, |upstream| {
            let values: Vec<Cow<'_, [f32]>> = constants.iter().map(B::values).collect();
            let slices: Vec<&[f32]> = values.iter().map(|v| v.as_ref()).collect();
            B::tensor(kernel.backward(&B::values(&x), &slices, &B::values(&upstream)))
        });
    }
}

/// The kernel on tensors of `B` without autodiff, or `None` when they are not.
fn plain<B: HostBackend, K: HostKernel>(
    kernel: &mut K,
    x: &Tensor<1>,
    constants: &[Tensor<1>],
) -> Option<LossResult<Tensor<1>>>
where
    DispatchTensor: DispatchKindConversion<B>,
{
    let x = x.clone().try_into_primitive::<B>().ok()?;
    let constants = constants
        .iter()
        .map(|c| c.clone().try_into_primitive::<B>().ok())
        .collect::<Option<Vec<_>>>()?;
    if let Err(e) = check::<B, K>(kernel, &x, &constants) {
        return Some(Err(e));
    }
    Some(Ok(Tensor::from_primitive::<B>(forward::<B, K>(
        kernel, &x, &constants,
    ))))
}

/// The kernel on autodiff tensors of `B` with checkpointing strategy `C`, or `None` when they
/// are not: one node whose only parent is `x` (the constants take no gradient).
fn autodiff<B: HostBackend, C: CheckpointStrategy, K: HostKernel>(
    kernel: &mut K,
    x: &Tensor<1>,
    constants: &[Tensor<1>],
) -> Option<LossResult<Tensor<1>>>
where
    DispatchTensor: DispatchKindConversion<Autodiff<B, C>>,
{
    let x = x.clone().try_into_primitive::<Autodiff<B, C>>().ok()?;
    let constants = constants
        .iter()
        .map(|c| {
            c.clone()
                .try_into_primitive::<Autodiff<B, C>>()
                .ok()
                .map(|t| t.into_primitive())
        })
        .collect::<Option<Vec<_>>>()?;
    let (x, node) = x.into_parts();
    if let Err(e) = check::<B, K>(kernel, &x, &constants) {
        return Some(Err(e));
    }
    let out = match KernelBackward::<K>(std::marker::PhantomData)
        .prepare::<C>([node])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let out = forward::<B, K>(kernel, &x, &constants);
            prep.finish((x, constants, kernel.clone()), out)
        }
        OpsKind::UnTracked(prep) => prep.finish(forward::<B, K>(kernel, &x, &constants)),
    };
    Some(Ok(Tensor::from_primitive::<Autodiff<B, C>>(out)))
}

/// `kernel` on `x` and `constants` (1-D f32 tensors of one CPU backend, with or without
/// autodiff), or `None` when they live on no backend this build has a kernel for.
pub(crate) fn run<K: HostKernel>(
    mut kernel: K,
    x: &Tensor<1>,
    constants: &[Tensor<1>],
) -> Option<LossResult<Tensor<1>>> {
    let k = &mut kernel;
    let found = None;
    #[cfg(feature = "flex")]
    let found = found.or_else(|| {
        use burn::backend::Flex;
        plain::<Flex, K>(k, x, constants)
            .or_else(|| autodiff::<Flex, NoCheckpointing, K>(k, x, constants))
            .or_else(|| autodiff::<Flex, BalancedCheckpointing, K>(k, x, constants))
    });
    #[cfg(feature = "ndarray")]
    #[allow(deprecated)]
    let found = found.or_else(|| {
        use burn::backend::NdArray;
        plain::<NdArray, K>(k, x, constants)
            .or_else(|| autodiff::<NdArray, NoCheckpointing, K>(k, x, constants))
            .or_else(|| autodiff::<NdArray, BalancedCheckpointing, K>(k, x, constants))
    });
    found
}

/// Whether `device` is one of the CPU backends with kernels (with or without autodiff).
pub(crate) fn on_host_backend(device: &burn::tensor::Device) -> bool {
    use burn::backend::DispatchDevice;
    fn host(device: &DispatchDevice) -> bool {
        #[allow(unreachable_patterns)] // a build with one CPU backend only
        match device {
            #[cfg(feature = "flex")]
            DispatchDevice::Flex(_) => true,
            #[cfg(feature = "ndarray")]
            DispatchDevice::NdArray(_) => true,
            _ => false,
        }
    }
    match device.as_dispatch() {
        DispatchDevice::Autodiff(ad) => host(&ad.clone().inner()),
        other => host(other),
    }
}

#[cfg(all(test, feature = "ndarray"))]
mod tests {
    use super::*;

    /// A contiguous ndarray tensor (built, reshaped flat) is read in place, not copied.
    #[test]
    #[allow(deprecated)] // burn 0.22 deprecates burn-ndarray; it is still one of this crate's backends
    fn ndarray_values_borrow_contiguous_tensors() {
        use burn::backend::NdArray;
        let device = burn::tensor::Device::ndarray();
        let x = Tensor::<4>::from_data(
            TensorData::new((0..2 * 3 * 4 * 5).map(|i| i as f32).collect(), [2, 3, 4, 5]),
            &device,
        );
        let flat: Tensor<1> = x.reshape([-1]);
        let primitive = flat.try_into_primitive::<NdArray>().unwrap();
        let values = NdArray::values(&primitive);
        eprintln!("borrowed: {}", matches!(values, Cow::Borrowed(_)));
        assert!(matches!(values, Cow::Borrowed(_)));
        assert_eq!(values[7], 7.0);
    }
}
