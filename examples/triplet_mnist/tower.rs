//! The embedding CNN shared by the metric-learning examples: Conv(1→16, 5×5) → ReLU → MaxPool 2×2
//! → Conv(16→32, 5×5) → ReLU → MaxPool 2×2 → Dense(512→128, ReLU) → Dense(128→D).

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::tensor::{Device, Tensor};
use burn_losses::train::Embedder;

#[derive(Module, Debug)]
pub struct Tower {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    hidden: Linear,
    output: Linear,
    relu: Relu,
}

impl Tower {
    /// A tower producing `dim`-dimensional embeddings.
    pub fn new(dim: usize, device: &Device) -> Self {
        Self {
            conv1: Conv2dConfig::new([1, 16], [5, 5]).init(device),
            conv2: Conv2dConfig::new([16, 32], [5, 5]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            hidden: LinearConfig::new(32 * 4 * 4, 128).init(device),
            output: LinearConfig::new(128, dim).init(device),
            relu: Relu::new(),
        }
    }
}

impl Embedder for Tower {
    type Input = Tensor<4>;

    fn embed(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.pool.forward(self.relu.forward(self.conv1.forward(x)));
        let x = self.pool.forward(self.relu.forward(self.conv2.forward(x)));
        let x = x.flatten::<2>(1, 3);
        self.output.forward(self.relu.forward(self.hidden.forward(x)))
    }
}

/// Images `[N, 1, 28, 28]` in [0, 1] of MNIST digits.
pub fn images(items: &[crate::data::Digit], device: &Device) -> Tensor<4> {
    let pixels: Vec<f32> = items
        .iter()
        .flat_map(|d| d.pixels.iter().map(|&p| p as f32 / 255.0))
        .collect();
    Tensor::from_data(
        burn::tensor::TensorData::new(pixels, [items.len(), 1, 28, 28]),
        device,
    )
}
