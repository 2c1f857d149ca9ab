//! The Keras document's model: Conv2D(32, 3×3, ReLU) → MaxPool 2×2 → Flatten → Dense(128, ReLU)
//! → Dense(10) (+ softmax, applied by the loss adapter when the loss takes probabilities).

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Initializer, Linear, LinearConfig, Relu};
use burn::tensor::{Device, Tensor};
use burn_losses::train::Classifier;

/// Keras `Sequential([Conv2D(32, (3,3), activation='relu', input_shape=(28,28,1)),
/// MaxPooling2D((2,2)), Flatten(), Dense(128, activation='relu'), Dense(10, activation='softmax')])`
/// with Keras' Glorot-uniform kernel initialisation.
#[derive(Module, Debug)]
pub struct KerasDocumentCnn {
    conv: Conv2d,
    pool: MaxPool2d,
    hidden: Linear,
    output: Linear,
    relu: Relu,
}

impl KerasDocumentCnn {
    /// A freshly initialised model on `device`.
    pub fn new(device: &Device) -> Self {
        let glorot = Initializer::XavierUniform { gain: 1.0 };
        Self {
            conv: Conv2dConfig::new([1, 32], [3, 3])
                .with_initializer(glorot.clone())
                .init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            hidden: LinearConfig::new(32 * 13 * 13, 128)
                .with_initializer(glorot.clone())
                .init(device),
            output: LinearConfig::new(128, 10).with_initializer(glorot).init(device),
            relu: Relu::new(),
        }
    }
}

impl Classifier for KerasDocumentCnn {
    type Input = Tensor<4>;

    fn logits(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.relu.forward(self.conv.forward(images));
        let x = self.pool.forward(x);
        let x: Tensor<2> = x.flatten(1, 3);
        let x = self.relu.forward(self.hidden.forward(x));
        self.output.forward(x)
    }
}
