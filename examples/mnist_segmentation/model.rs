//! A small encoder–decoder CNN for 28×28 segmentation: two 3×3 conv + 2×2 max-pool stages down to
//! 7×7, a 3×3 conv bottleneck, two stride-2 transposed convs back to 28×28 (each followed by a 3×3
//! conv), and a 1×1 conv to `classes` logits per pixel.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{PaddingConfig2d, Relu};
use burn::tensor::{Device, Tensor};
use burn_losses::train::Segmenter;

#[derive(Module, Debug)]
pub struct EncoderDecoder {
    down1: Conv2d,
    down2: Conv2d,
    bottleneck: Conv2d,
    up1: ConvTranspose2d,
    refine1: Conv2d,
    up2: ConvTranspose2d,
    refine2: Conv2d,
    head: Conv2d,
    pool: MaxPool2d,
    relu: Relu,
}

fn conv3(channels: [usize; 2], device: &Device) -> Conv2d {
    Conv2dConfig::new(channels, [3, 3])
        .with_padding(PaddingConfig2d::Same)
        .init(device)
}

fn up(channels: [usize; 2], device: &Device) -> ConvTranspose2d {
    ConvTranspose2dConfig::new(channels, [2, 2])
        .with_stride([2, 2])
        .init(device)
}

impl EncoderDecoder {
    /// A freshly initialised model with `classes` output channels on `device`.
    pub fn new(classes: usize, device: &Device) -> Self {
        Self {
            down1: conv3([1, 16], device),
            down2: conv3([16, 32], device),
            bottleneck: conv3([32, 32], device),
            up1: up([32, 32], device),
            refine1: conv3([32 + 16, 16], device),
            up2: up([16, 16], device),
            refine2: conv3([16 + 1, 16], device),
            head: Conv2dConfig::new([16, classes], [1, 1]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            relu: Relu::new(),
        }
    }
}

impl Segmenter for EncoderDecoder {
    type Input = Tensor<4>;

    /// `[N, 1, 28, 28]` images → `[N, classes, 28, 28]` logits (U-Net-style skip connections).
    fn logits(&self, images: Tensor<4>) -> Tensor<4> {
        let f1 = self.relu.forward(self.down1.forward(images.clone())); // 16 × 28 × 28
        let x = self.pool.forward(f1.clone()); // 16 × 14 × 14
        let f2 = self.relu.forward(self.down2.forward(x)); // 32 × 14 × 14
        let x = self.pool.forward(f2); // 32 × 7 × 7
        let x = self.relu.forward(self.bottleneck.forward(x)); // 32 × 7 × 7
        let x = self.relu.forward(self.up1.forward(x)); // 32 × 14 × 14
        let skip = self.pool.forward(f1); // 16 × 14 × 14
        let x = self
            .relu
            .forward(self.refine1.forward(Tensor::cat(vec![x, skip], 1))); // 16 × 14 × 14
        let x = self.relu.forward(self.up2.forward(x)); // 16 × 28 × 28
        let x = self
            .relu
            .forward(self.refine2.forward(Tensor::cat(vec![x, images], 1))); // 16 × 28 × 28
        self.head.forward(x)
    }
}
