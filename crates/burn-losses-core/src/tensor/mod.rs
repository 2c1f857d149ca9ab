//! Tensors as the losses see them (below the loss contract): rank-erased arguments
//! ([`dynamic`]), input checks ([`checks`]), one-hot encodings ([`onehot`]) and the shared math
//! ([`math`]).

pub(crate) mod activation;
pub(crate) mod checks;
pub(crate) mod dynamic;
pub(crate) mod math;
pub(crate) mod onehot;

use burn::tensor::{Element, Tensor, TensorData};

/// A config's per-class values (weights, α, `pos_weight`) as a 1-D tensor on `like`'s device, in
/// its dtype.
pub(crate) fn values_like<E: Element, const D: usize>(values: &[E], like: &Tensor<D>) -> Tensor<1> {
    Tensor::<1>::from_data(
        TensorData::new(values.to_vec(), [values.len()]),
        (&like.device(), like.dtype()),
    )
}
