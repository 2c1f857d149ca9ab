//! Tensors as the losses see them (below the loss contract): rank-erased arguments
//! ([`dynamic`]), input checks ([`checks`]), one-hot encodings ([`onehot`]) and the shared math
//! ([`math`]).

pub(crate) mod activation;
pub(crate) mod checks;
pub(crate) mod dynamic;
pub(crate) mod math;
pub(crate) mod onehot;
