//! The declaration macros of a loss: its config struct, setters, validation, `try_init` / `init`,
//! and the typed `forward` API generated from one invocation.

/// Generates `with_<field>` builder setters for a config struct (burn `Config` style).
macro_rules! config_setters {
    ($ty:ident { $($setter:ident => $field:ident : $t:ty),* $(,)? }) => {
        impl $ty {
            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                pub fn $setter(mut self, $field: $t) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}
pub(crate) use config_setters;

/// The typed `forward` / `try_forward` / `forward_no_reduction` of a loss whose `input` and
/// `target` have the same shape (any rank).
macro_rules! same_shape_forward_api {
    ($loss:ident) => {
        impl $loss {
            /// The configured reduction of the loss. `input` and `target` have the same shape (any
            /// rank); for `"none"` the result is flattened (see
            /// [`forward_no_reduction`](Self::forward_no_reduction) to keep the shape).
            #[track_caller]
            pub fn forward<const D: usize>(
                &self,
                input: burn::tensor::Tensor<D>,
                target: burn::tensor::Tensor<D>,
            ) -> burn::tensor::Tensor<1> {
                $crate::error::or_panic(
                    $crate::loss::input_target::InputTargetLoss::try_forward_typed::<D, D>(
                        self, input, target, None,
                    ),
                )
            }

            /// As [`forward`](Self::forward), with optional per-sample weights of shape `[N]`,
            /// returning an error instead of panicking on bad input.
            pub fn try_forward<const D: usize>(
                &self,
                input: burn::tensor::Tensor<D>,
                target: burn::tensor::Tensor<D>,
                weight: Option<burn::tensor::Tensor<1>>,
            ) -> $crate::error::LossResult<burn::tensor::Tensor<1>> {
                $crate::loss::input_target::InputTargetLoss::try_forward_typed::<D, D>(
                    self, input, target, weight,
                )
            }

            /// The unreduced loss, same shape as `input` (ignores the configured reduction).
            #[track_caller]
            pub fn forward_no_reduction<const D: usize>(
                &self,
                input: burn::tensor::Tensor<D>,
                target: burn::tensor::Tensor<D>,
            ) -> burn::tensor::Tensor<D> {
                let dims = input.dims();
                $crate::error::or_panic(
                    $crate::loss::input_target::InputTargetLoss::forward_no_reduction_typed(
                        self, input, target, dims,
                    ),
                )
            }
        }
    };
}
pub(crate) use same_shape_forward_api;

/// [`same_shape_forward_api`] plus the [`LossModule`](crate::LossModule) impl of a loss on float
/// targets of the input's shape: class indices become one-hot `[N, C]` targets for the Learner
/// adapter. `binary` (the BCE / focal family): the input kind follows `config.from_logits`;
/// `raw`: the loss takes the model output as it is (regression and margin losses).
macro_rules! binary_loss_api {
    ($loss:ident) => {
        $crate::loss::declare::binary_loss_api!($loss, |this: &$loss| if this.config.from_logits {
            $crate::loss::InputKind::Logits
        } else {
            $crate::loss::InputKind::SigmoidProbabilities
        });
    };
    ($loss:ident, raw) => {
        $crate::loss::declare::binary_loss_api!($loss, |_: &$loss| $crate::loss::InputKind::Logits);
    };
    ($loss:ident, $input_kind:expr) => {
        $crate::loss::declare::same_shape_forward_api!($loss);

        impl $crate::loss::LossModule for $loss {
            fn forward_inputs(
                &self,
                inputs: &$crate::tensor::dynamic::LossInputs,
            ) -> $crate::error::LossResult<$crate::tensor::dynamic::DynTensor> {
                $crate::loss::input_target::InputTargetLoss::forward_named(self, inputs)
            }

            fn target_kind(&self) -> $crate::loss::TargetKind {
                $crate::loss::TargetKind::Probabilities
            }

            fn input_kind(&self) -> $crate::loss::InputKind {
                ($input_kind)(self)
            }

            fn classification_loss(
                &self,
                input: burn::tensor::Tensor<2>,
                targets: burn::tensor::Tensor<1, burn::tensor::Int>,
            ) -> $crate::error::LossResult<burn::tensor::Tensor<1>> {
                let one_hot = $crate::tensor::onehot::one_hot_like(&input, targets);
                self.try_forward(input, one_hot, None)
            }
        }
    };
}

pub(crate) use binary_loss_api;

/// `try_init` (validate, then build) and `init` (panic with the same message) for a loss module
/// that holds just its validated `config`.
macro_rules! config_init {
    ($config:ident => $loss:ident) => {
        impl $config {
            /// Builds the loss, or says which field is out of range.
            pub fn try_init(&self) -> $crate::error::LossResult<$loss> {
                self.validate()?;
                Ok($loss {
                    config: self.clone(),
                })
            }

            /// Builds the loss; panics with the [`try_init`](Self::try_init) message on a bad field.
            #[track_caller]
            pub fn init(&self) -> $loss {
                $crate::error::or_panic(self.try_init())
            }
        }
    };
}
pub(crate) use config_init;

/// A loss config and its module from one declaration: the serde struct (`deny_unknown_fields`,
/// defaults on missing fields), `Default`, burn `Config`, `new`, one `with_<field>` setter per
/// field, `validate`, `try_init` / `init`, and the module struct holding the validated config.
/// Doc comments (formula, defaults, anchors) are written at the declaration.
macro_rules! loss_config {
    (
        $(#[$($config_doc:tt)*])*
        $config:ident ($name:literal, defaults $defaults:literal) {
            $( $(#[$($field_doc:tt)*])* $field:ident : $ty:ty = $default:expr => $setter:ident, )*
        }
        validate(&$this:ident) $validate:block
        $(#[$($loss_doc:tt)*])*
        $loss:ident;
    ) => {
        $crate::loss::doc::documented! {
            $(#[$($config_doc)*])*
            #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
            #[serde(default, deny_unknown_fields)]
            pub struct $config {
                $( $(#[$($field_doc)*])* pub $field: $ty, )*
            }
        }

        impl Default for $config {
            fn default() -> Self {
                Self { $( $field: $default, )* }
            }
        }

        impl burn::config::Config for $config {}

        impl $config {
            #[allow(dead_code)]
            const NAME: &'static str = $name;

            #[doc = concat!("The defaults (", $defaults, ").")]
            pub fn new() -> Self {
                Self::default()
            }

            /// Checks every field; the error names the field and its expected range.
            pub fn validate(&$this) -> $crate::error::LossResult<()> $validate

            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                pub fn $setter(mut self, $field: $ty) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }

        $crate::loss::declare::config_init!($config => $loss);

        $crate::loss::doc::documented! {
            $(#[$($loss_doc)*])*
            #[derive(burn::module::Module, Debug)]
            pub struct $loss {
                /// The validated configuration.
                #[module(skip)]
                pub config: $config,
            }
        }

        impl $loss {
            /// This loss with `reduction: "none"` (what `forward_no_reduction` runs).
            #[allow(dead_code)]
            fn unreduced(&self) -> Self {
                let mut config = self.config.clone();
                config.reduction = $crate::loss::declare::Unreduced::none();
                Self { config }
            }
        }
    };
}
pub(crate) use loss_config;

/// The typed API of a loss declared with [`loss_config`] from its named arguments (each typed
/// argument becomes the named one of its name): `forward` (the configured reduction; `[1]` for
/// `"mean"` / `"sum"`, the flattened losses for `"none"`), `try_forward` (with the optional
/// per-sample `weight [N]` when the loss takes one, errors instead of panics) and
/// `forward_no_reduction` (the unreduced losses in their logical shape, never flattened — the
/// one return-shape rule of every loss's `forward_no_reduction`).
macro_rules! typed_api {
    (
        $loss:ident, $what:literal,
        <$(const $g:ident : usize),*> ( $( $arg:ident : $ty:ty => $with:ident ),* )
        $(, weight $weighted:tt)?
        , unreduced $(@ <$(const $ng:ident : usize),*>)? $out:ty
    ) => {
        impl $loss {
            #[doc = concat!("The configured reduction of ", $what, ": `[1]` for `\"mean\"` / `\"sum\"`, the unreduced losses flattened for `\"none\"`.")]
            #[track_caller]
            pub fn forward<$(const $g: usize),*>(&self, $($arg: $ty),*) -> burn::tensor::Tensor<1> {
                $crate::error::or_panic(self.try_forward($($arg,)* $($crate::loss::declare::typed_api!(@none $weighted))?))
            }

            $crate::loss::declare::typed_api!(@try $what, <$(const $g: usize),*> ( $( $arg : $ty => $with ),* ) $(, weight $weighted)?);

            #[doc = concat!("The unreduced losses of ", $what, " in their logical shape (the `\"none\"` shape of the `# Shapes` section), whatever the configured reduction.")]
            #[track_caller]
            pub fn forward_no_reduction<$(const $g: usize,)* $($(const $ng: usize),*)?>(&self, $($arg: $ty),*) -> $out {
                let inputs = $crate::tensor::dynamic::LossInputs::new() $( .$with(stringify!($arg), $arg) )*;
                $crate::error::or_panic($crate::loss::forward_unreduced(&self.unreduced(), inputs))
            }
        }
    };
    (@none $weighted:tt) => { None };
    (@try $what:literal, <$(const $g:ident : usize),*> ( $( $arg:ident : $ty:ty => $with:ident ),* ), weight $weighted:tt) => {
        #[doc = concat!("As `forward`, with optional per-sample weights `[N]`, returning an error instead of panicking on bad input.")]
        pub fn try_forward<$(const $g: usize),*>(
            &self,
            $($arg: $ty,)*
            weight: Option<burn::tensor::Tensor<1>>,
        ) -> $crate::error::LossResult<burn::tensor::Tensor<1>> {
            let inputs = $crate::tensor::dynamic::LossInputs::new() $( .$with(stringify!($arg), $arg) )*;
            $crate::loss::forward_typed(self, inputs, weight)
        }
    };
    (@try $what:literal, <$(const $g:ident : usize),*> ( $( $arg:ident : $ty:ty => $with:ident ),* )) => {
        #[doc = concat!("As `forward`, returning an error instead of panicking on bad input.")]
        pub fn try_forward<$(const $g: usize),*>(
            &self,
            $($arg: $ty),*
        ) -> $crate::error::LossResult<burn::tensor::Tensor<1>> {
            let inputs = $crate::tensor::dynamic::LossInputs::new() $( .$with(stringify!($arg), $arg) )*;
            $crate::loss::forward_typed(self, inputs, None)
        }
    };
}
pub(crate) use typed_api;

/// A reduction option with a `"none"` value (what `forward_no_reduction` sets).
pub(crate) trait Unreduced {
    /// The `"none"` reduction.
    fn none() -> Self;
}

impl Unreduced for crate::reduction::Reduction {
    fn none() -> Self {
        Self::None
    }
}
