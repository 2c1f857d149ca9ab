//! The declaration macros of a loss: its config struct, setters, validation, `try_init` / `init`,
//! and the typed `forward` API generated from one invocation.

/// The [`LossModule`](crate::LossModule) impl of a loss on float targets of the input's shape
/// (through its [`InputTargetLoss`](crate::loss::input_target::InputTargetLoss)): class indices
/// become one-hot `[N, C]` targets for the Learner adapter. `binary` (the BCE / focal family): the
/// input kind follows `config.from_logits`; `raw`: the loss takes the model output as it is
/// (regression and margin losses). The typed API comes from the declaration's `forward same_shape`.
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

            fn reduces_last_axis(&self) -> bool {
                $crate::loss::input_target::InputTargetLoss::reduce_last_axis(self)
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

/// A loss config and its module from one declaration — the one way every loss of the crate is
/// declared: the serde struct (`deny_unknown_fields`, defaults on missing fields), `Default`, burn
/// `Config`, `new` (taking the required fields listed in `new(…)`, if any), one `with_<field>`
/// setter per field that names one, `validate`, `try_init` / `init`, and the module struct holding
/// the validated config plus the state listed after the loss's name, each state field built from
/// the validated config (`self`) by its expression (which may use `?`; with `on device`, the
/// expression also sees the `device` given to `try_init(&device)` / `init(&device)`). Doc comments
/// (formula, defaults, anchors) are written at the declaration and are what `describe` prints.
///
/// Declarative rather than a derive crate: the declarations stay in the loss files, rustc checks
/// every generated item where it is expanded, and the crate needs no proc-macro dependency
/// (`cargo add burn-losses` stays one crate of ours).
macro_rules! loss_config {
    (
        $(#[$($config_doc:tt)*])*
        $config:ident ($name:literal, defaults $defaults:literal $(, new($($req:ident : $req_ty:ty),* $(,)?))?) {
            $( $(#[$($field_doc:tt)*])* $field:ident : $ty:ty = $default:expr $(=> $setter:ident)?, )*
        }
        validate(&$this:ident) $validate:block
        $(#[$($loss_doc:tt)*])*
        $loss:ident $(on $device:ident)? $({
            $( $(#[$($state_doc:tt)*])* $state:ident : $state_ty:ty = $state_init:expr, )*
        })?;
        $(forward $($api:tt)+)?
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

            $crate::loss::declare::loss_config!(@new $defaults $(, $($req : $req_ty),*)?);

            /// Checks every field; the error names the field and its expected range.
            pub fn validate(&$this) -> $crate::error::LossResult<()> $validate

            $( $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                pub fn $setter(mut self, $field: $ty) -> Self {
                    self.$field = $field;
                    self
                }
            )? )*

            $crate::loss::declare::loss_config!(@init $loss ($this) [$($device)?] { $($( $state: $state_init, )*)? });

            /// Builds the loss on `device` (as burn-nn's `CrossEntropyLossConfig::init(&device)`);
            /// panics with the [`try_init`](Self::try_init) message on a bad field.
            #[track_caller]
            pub fn init(&self, device: &burn::tensor::Device) -> $loss {
                $crate::error::or_panic(self.try_init(device))
            }
        }

        $crate::loss::doc::documented! {
            $(#[$($loss_doc)*])*
            #[derive(burn::module::Module, Debug)]
            pub struct $loss {
                /// The validated configuration.
                #[module(skip)]
                pub config: $config,
                $($( $(#[$($state_doc)*])* pub $state: $state_ty, )*)?
            }
        }

        impl $loss {
            /// This loss with `reduction: "none"` (what `forward_no_reduction` runs), sharing its
            /// state.
            #[allow(dead_code)]
            fn unreduced(&self) -> Self {
                let mut loss = self.clone();
                loss.config.reduction = $crate::loss::declare::Unreduced::none();
                loss
            }
        }

        $( $crate::loss::declare::typed_api!($loss, $($api)+); )?
    };
    (@new $defaults:literal) => {
        #[doc = concat!("The defaults (", $defaults, ").")]
        pub fn new() -> Self {
            Self::default()
        }
    };
    (@new $defaults:literal, $($req:ident : $req_ty:ty),*) => {
        #[doc = concat!("The defaults (", $defaults, ") with the required fields given.")]
        pub fn new($($req: $req_ty),*) -> Self {
            Self { $($req,)* ..Self::default() }
        }
    };
    (@init $loss:ident ($this:ident) [] { $( $state:ident : $state_init:expr, )* }) => {
        /// Builds the loss on `device` (burn-nn's `init(&device)`; this loss holds no tensor, so
        /// the device only matters to the losses with parameters), or says which field is out of
        /// range.
        pub fn try_init(&$this, _device: &burn::tensor::Device) -> $crate::error::LossResult<$loss> {
            $this.validate()?;
            Ok($loss { config: $this.clone(), $( $state: $state_init, )* })
        }
    };
    (@init $loss:ident ($this:ident) [$device:ident] { $( $state:ident : $state_init:expr, )* }) => {
        /// Builds the loss with its parameters on `device`, or says which field is out of range.
        pub fn try_init(&$this, $device: &burn::tensor::Device) -> $crate::error::LossResult<$loss> {
            $this.validate()?;
            Ok($loss { config: $this.clone(), $( $state: $state_init, )* })
        }
    };
}
pub(crate) use loss_config;

/// The typed API of a loss, from the `forward` clause of its [`loss_config`] declaration: the
/// typed arguments (each passed to `forward_inputs` under its own name, as a float or an integer
/// tensor), an optional argument of `try_forward`, and the rank of the unreduced loss. Generates
/// `forward` (the configured reduction; `[1]` for `"mean"` / `"sum"`, the unreduced losses
/// flattened for `"none"`), `try_forward` (with the optional argument, errors instead of panics)
/// and `forward_no_reduction` (the unreduced losses in their logical shape, never flattened — the
/// one return-shape rule of every loss's `forward_no_reduction`). `same_shape` is the common
/// signature: `input` and `target` of one shape (any rank), optional per-sample `weight [N]`,
/// unreduced losses of the input's shape.
macro_rules! typed_api {
    ($loss:ident, same_shape;) => {
        $crate::loss::declare::typed_api!(
            $loss, "`input` against `target` of one shape (any rank)",
            <const D: usize> (input: burn::tensor::Tensor<D> => with_float, target: burn::tensor::Tensor<D> => with_float),
            optional weight: burn::tensor::Tensor<1> => with_float, unreduced burn::tensor::Tensor<D>;
        );
    };
    (
        $loss:ident, $what:literal,
        <$(const $g:ident : usize),*> ( $( $arg:ident : $ty:ty => $with:ident ),* )
        $(, optional $opt:ident : $opt_ty:ty => $opt_with:ident)?
        , unreduced $(@ <$(const $ng:ident : usize),*>)? $out:ty;
        $(named { $( $name:ident : $kind:ident $required:ident ),* $(,)? })?
    ) => {
        $crate::loss::declare::typed_api!(@arguments $loss,
            [$( $arg : $crate::loss::declare::typed_api!(@kind $with); required, )* $( $opt : $crate::loss::declare::typed_api!(@kind $opt_with); optional, )?]
            $([$( $name : $crate::loss::ArgumentKind::$kind; $required, )*])?
        );

        impl $loss {
            #[doc = concat!("The configured reduction of ", $what, ": `[1]` for `\"mean\"` / `\"sum\"`, the unreduced losses flattened for `\"none\"`.")]
            #[track_caller]
            pub fn forward<$(const $g: usize),*>(&self, $($arg: $ty),*) -> burn::tensor::Tensor<1> {
                $crate::error::or_panic(self.try_forward($($arg,)* $($crate::loss::declare::typed_api!(@none $opt))?))
            }

            #[doc = concat!("As `forward`", $(" with the optional `", stringify!($opt), "`",)? ", returning an error instead of panicking on bad input.")]
            pub fn try_forward<$(const $g: usize),*>(
                &self,
                $($arg: $ty,)*
                $($opt: Option<$opt_ty>,)?
            ) -> $crate::error::LossResult<burn::tensor::Tensor<1>> {
                let inputs = $crate::tensor::dynamic::LossInputs::new() $( .$with(stringify!($arg), $arg) )*;
                $(
                    let inputs = match $opt {
                        Some(tensor) => inputs.$opt_with(stringify!($opt), tensor),
                        None => inputs,
                    };
                )?
                $crate::loss::forward_typed(self, inputs)
            }

            #[doc = concat!("The unreduced losses of ", $what, " in their logical shape (the `\"none\"` shape of the `# Shapes` section), whatever the configured reduction.")]
            #[track_caller]
            pub fn forward_no_reduction<$(const $g: usize,)* $($(const $ng: usize),*)?>(&self, $($arg: $ty),*) -> $out {
                let inputs = $crate::tensor::dynamic::LossInputs::new() $( .$with(stringify!($arg), $arg) )*;
                $crate::error::or_panic($crate::loss::forward_unreduced(&self.unreduced(), inputs))
            }
        }
    };
    (@none $opt:ident) => { None };
    (@kind with_float) => { $crate::loss::ArgumentKind::Float };
    (@kind with_int) => { $crate::loss::ArgumentKind::Int };
    (@required required) => { true };
    (@required optional) => { false };
    // the typed arguments, or the `named` list when the named form accepts more
    (@arguments $loss:ident, [$($typed:tt)*] [$($named:tt)*]) => {
        $crate::loss::declare::typed_api!(@arguments $loss, [$($named)*]);
    };
    (@arguments $loss:ident, [$( $name:ident : $kind:expr; $required:ident, )*]) => {
        impl $crate::loss::DeclaredArguments for $loss {
            const ARGUMENTS: &'static [$crate::loss::Argument] = &[$(
                $crate::loss::Argument {
                    name: stringify!($name),
                    kind: $kind,
                    required: $crate::loss::declare::typed_api!(@required $required),
                },
            )*];
            const ARGUMENT_NAMES: &'static [&'static str] = &[$(stringify!($name)),*];
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
