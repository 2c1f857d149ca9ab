//! burn's guide batcher, unchanged except for the one `From` impl at the bottom.

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::vision::MnistItem;
use burn::tensor::{Device, ElementConversion, Int, Tensor, TensorData};
use burn_losses::train::ClassificationBatch;

#[derive(Clone, Default)]
pub struct MnistBatcher {}

#[derive(Clone, Debug)]
pub struct MnistBatch {
    pub images: Tensor<3>,
    pub targets: Tensor<1, Int>,
}

impl Batcher<MnistItem, MnistBatch> for MnistBatcher {
    fn batch(&self, items: Vec<MnistItem>, device: &Device) -> MnistBatch {
        let images = items
            .iter()
            .map(|item| TensorData::from(item.image))
            .map(|data| Tensor::<2>::from_data(data, device))
            .map(|tensor| tensor.reshape([1, 28, 28]))
            // normalized with MNIST's mean and standard deviation
            .map(|tensor| ((tensor / 255) - 0.1307) / 0.3081)
            .collect();
        let targets = items
            .iter()
            .map(|item| Tensor::<1, Int>::from_data([(item.label as i64).elem::<i64>()], device))
            .collect();
        MnistBatch {
            images: Tensor::cat(images, 0),
            targets: Tensor::cat(targets, 0),
        }
    }
}

// burn-losses: the guide's batch is what the loss adapter trains on.
impl From<MnistBatch> for ClassificationBatch<Tensor<3>> {
    fn from(batch: MnistBatch) -> Self {
        ClassificationBatch {
            inputs: batch.images,
            targets: batch.targets,
        }
    }
}
