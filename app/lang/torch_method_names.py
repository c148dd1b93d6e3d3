"""torch 2.13's ``__qualname__`` of the library methods whose torch name is not the engine's
(recorded by scripts/torch_goldens/record_method_names.py; see its docstring)."""

#: torch class path -> {method name: torch's __qualname__}
METHOD_QUALNAMES = {
    'torch.nn.modules.activation.Hardsigmoid': {
        'extra_repr': 'Module.extra_repr',
        'forward': 'Hardsigmoid.forward',
    },
    'torch.nn.modules.activation.Hardswish': {
        'extra_repr': 'Module.extra_repr',
        'forward': 'Hardswish.forward',
    },
    'torch.nn.modules.activation.LogSigmoid': {
        'forward': 'LogSigmoid.forward',
    },
    'torch.nn.modules.activation.LogSoftmax': {
        'extra_repr': 'LogSoftmax.extra_repr',
        'forward': 'LogSoftmax.forward',
    },
    'torch.nn.modules.activation.Mish': {
        'extra_repr': 'Mish.extra_repr',
        'forward': 'Mish.forward',
    },
    'torch.nn.modules.activation.ReLU': {
        'extra_repr': 'ReLU.extra_repr',
        'forward': 'ReLU.forward',
    },
    'torch.nn.modules.activation.SELU': {
        'extra_repr': 'SELU.extra_repr',
        'forward': 'SELU.forward',
    },
    'torch.nn.modules.activation.SiLU': {
        'extra_repr': 'SiLU.extra_repr',
        'forward': 'SiLU.forward',
    },
    'torch.nn.modules.activation.Sigmoid': {
        'forward': 'Sigmoid.forward',
    },
    'torch.nn.modules.activation.Softmax': {
        'extra_repr': 'Softmax.extra_repr',
        'forward': 'Softmax.forward',
    },
    'torch.nn.modules.activation.Softmin': {
        'extra_repr': 'Softmin.extra_repr',
        'forward': 'Softmin.forward',
    },
    'torch.nn.modules.activation.Softshrink': {
        'extra_repr': 'Softshrink.extra_repr',
    },
    'torch.nn.modules.activation.Softsign': {
        'forward': 'Softsign.forward',
    },
    'torch.nn.modules.activation.Tanh': {
        'forward': 'Tanh.forward',
    },
    'torch.nn.modules.activation.Tanhshrink': {
        'forward': 'Tanhshrink.forward',
    },
    'torch.nn.modules.container.ModuleDict': {
        'forward': '_forward_unimplemented',
    },
    'torch.nn.modules.container.ModuleList': {
        'forward': '_forward_unimplemented',
    },
    'torch.nn.modules.container.ParameterDict': {
        'forward': '_forward_unimplemented',
    },
    'torch.nn.modules.container.ParameterList': {
        'forward': '_forward_unimplemented',
    },
    'torch.nn.modules.crossmap.CrossMapLRN2d': {
        'extra_repr': 'CrossMapLRN2d.extra_repr',
    },
    'torch.nn.modules.deprecated.Container': {
        'forward': '_forward_unimplemented',
    },
    'torch.nn.modules.lazy.LazyBatchNorm1d': {
        'initialize_parameters': '_LazyNormBase.initialize_parameters',
        'reset_parameters': '_LazyNormBase.reset_parameters',
    },
    'torch.nn.modules.lazy.LazyBatchNorm2d': {
        'initialize_parameters': '_LazyNormBase.initialize_parameters',
        'reset_parameters': '_LazyNormBase.reset_parameters',
    },
    'torch.nn.modules.lazy.LazyBatchNorm3d': {
        'initialize_parameters': '_LazyNormBase.initialize_parameters',
        'reset_parameters': '_LazyNormBase.reset_parameters',
    },
    'torch.nn.modules.lazy.LazyConv1d': {
        'initialize_parameters': '_LazyConvXdMixin.initialize_parameters',
        'reset_parameters': '_LazyConvXdMixin.reset_parameters',
    },
    'torch.nn.modules.lazy.LazyConv2d': {
        'initialize_parameters': '_LazyConvXdMixin.initialize_parameters',
        'reset_parameters': '_LazyConvXdMixin.reset_parameters',
    },
    'torch.nn.modules.lazy.LazyConv3d': {
        'initialize_parameters': '_LazyConvXdMixin.initialize_parameters',
        'reset_parameters': '_LazyConvXdMixin.reset_parameters',
    },
    'torch.nn.modules.lazy.LazyConvTranspose1d': {
        'initialize_parameters': '_LazyConvXdMixin.initialize_parameters',
        'reset_parameters': '_LazyConvXdMixin.reset_parameters',
    },
    'torch.nn.modules.lazy.LazyConvTranspose2d': {
        'initialize_parameters': '_LazyConvXdMixin.initialize_parameters',
        'reset_parameters': '_LazyConvXdMixin.reset_parameters',
    },
    'torch.nn.modules.lazy.LazyConvTranspose3d': {
        'initialize_parameters': '_LazyConvXdMixin.initialize_parameters',
        'reset_parameters': '_LazyConvXdMixin.reset_parameters',
    },
    'torch.nn.modules.lazy.LazyInstanceNorm1d': {
        'initialize_parameters': '_LazyNormBase.initialize_parameters',
        'reset_parameters': '_LazyNormBase.reset_parameters',
    },
    'torch.nn.modules.lazy.LazyInstanceNorm2d': {
        'initialize_parameters': '_LazyNormBase.initialize_parameters',
        'reset_parameters': '_LazyNormBase.reset_parameters',
    },
    'torch.nn.modules.lazy.LazyInstanceNorm3d': {
        'initialize_parameters': '_LazyNormBase.initialize_parameters',
        'reset_parameters': '_LazyNormBase.reset_parameters',
    },
    'torch.nn.modules.module.Module': {
        'forward': '_forward_unimplemented',
    },
    'torch.nn.modules.normalization.LocalResponseNorm': {
        'extra_repr': 'LocalResponseNorm.extra_repr',
    },
    'torch.nn.modules.padding.CircularPad1d': {
        'extra_repr': '_CircularPadNd.extra_repr',
        'forward': '_CircularPadNd.forward',
    },
    'torch.nn.modules.padding.CircularPad2d': {
        'extra_repr': '_CircularPadNd.extra_repr',
        'forward': '_CircularPadNd.forward',
    },
    'torch.nn.modules.padding.CircularPad3d': {
        'extra_repr': '_CircularPadNd.extra_repr',
        'forward': '_CircularPadNd.forward',
    },
    'torch.nn.modules.padding.ReflectionPad1d': {
        'extra_repr': '_ReflectionPadNd.extra_repr',
        'forward': '_ReflectionPadNd.forward',
    },
    'torch.nn.modules.padding.ReflectionPad2d': {
        'extra_repr': '_ReflectionPadNd.extra_repr',
        'forward': '_ReflectionPadNd.forward',
    },
    'torch.nn.modules.padding.ReflectionPad3d': {
        'extra_repr': '_ReflectionPadNd.extra_repr',
        'forward': '_ReflectionPadNd.forward',
    },
    'torch.nn.modules.padding.ReplicationPad1d': {
        'extra_repr': '_ReplicationPadNd.extra_repr',
        'forward': '_ReplicationPadNd.forward',
    },
    'torch.nn.modules.padding.ReplicationPad2d': {
        'extra_repr': '_ReplicationPadNd.extra_repr',
        'forward': '_ReplicationPadNd.forward',
    },
    'torch.nn.modules.padding.ReplicationPad3d': {
        'extra_repr': '_ReplicationPadNd.extra_repr',
        'forward': '_ReplicationPadNd.forward',
    },
    'torch.nn.modules.padding.ZeroPad1d': {
        'extra_repr': 'ZeroPad1d.extra_repr',
    },
    'torch.nn.modules.padding.ZeroPad2d': {
        'extra_repr': 'ZeroPad2d.extra_repr',
    },
    'torch.nn.modules.padding.ZeroPad3d': {
        'extra_repr': 'ZeroPad3d.extra_repr',
    },
    'torch.nn.modules.pooling.AdaptiveAvgPool1d': {
        'extra_repr': '_AdaptiveAvgPoolNd.extra_repr',
    },
    'torch.nn.modules.pooling.AdaptiveAvgPool2d': {
        'extra_repr': '_AdaptiveAvgPoolNd.extra_repr',
    },
    'torch.nn.modules.pooling.AdaptiveAvgPool3d': {
        'extra_repr': '_AdaptiveAvgPoolNd.extra_repr',
    },
    'torch.nn.modules.pooling.AdaptiveMaxPool1d': {
        'extra_repr': '_AdaptiveMaxPoolNd.extra_repr',
    },
    'torch.nn.modules.pooling.AdaptiveMaxPool2d': {
        'extra_repr': '_AdaptiveMaxPoolNd.extra_repr',
    },
    'torch.nn.modules.pooling.AdaptiveMaxPool3d': {
        'extra_repr': '_AdaptiveMaxPoolNd.extra_repr',
    },
    'torch.nn.modules.pooling.AvgPool1d': {
        'extra_repr': '_AvgPoolNd.extra_repr',
    },
    'torch.nn.modules.pooling.AvgPool2d': {
        'extra_repr': '_AvgPoolNd.extra_repr',
    },
    'torch.nn.modules.pooling.AvgPool3d': {
        'extra_repr': '_AvgPoolNd.extra_repr',
    },
    'torch.nn.modules.pooling.FractionalMaxPool2d': {
        'forward': 'FractionalMaxPool2d.forward',
    },
    'torch.nn.modules.pooling.FractionalMaxPool3d': {
        'forward': 'FractionalMaxPool3d.forward',
    },
    'torch.nn.modules.pooling.MaxUnpool1d': {
        'forward': 'MaxUnpool1d.forward',
    },
    'torch.nn.modules.pooling.MaxUnpool2d': {
        'forward': 'MaxUnpool2d.forward',
    },
    'torch.nn.modules.pooling.MaxUnpool3d': {
        'forward': 'MaxUnpool3d.forward',
    },
    'torch.nn.modules.rnn.GRU': {
        'forward': 'GRU.forward',
    },
    'torch.nn.modules.rnn.LSTM': {
        'forward': 'LSTM.forward',
    },
    'torch.nn.modules.rnn.RNN': {
        'forward': 'RNN.forward',
    },
    'torch.nn.modules.rnn.RNNBase': {
        'forward': '_forward_unimplemented',
    },
    'torch.nn.modules.rnn.RNNCellBase': {
        'forward': '_forward_unimplemented',
    },
    'torch.optim.adadelta.Adadelta': {
        'step': 'Adadelta.step',
    },
    'torch.optim.adafactor.Adafactor': {
        'step': 'Adafactor.step',
    },
    'torch.optim.adagrad.Adagrad': {
        'step': 'Adagrad.step',
    },
    'torch.optim.adam.Adam': {
        'step': 'Adam.step',
    },
    'torch.optim.adamax.Adamax': {
        'step': 'Adamax.step',
    },
    'torch.optim.adamw.AdamW': {
        'step': 'Adam.step',
    },
    'torch.optim.asgd.ASGD': {
        'step': 'ASGD.step',
    },
    'torch.optim.lr_scheduler.ChainedScheduler': {
        'load_state_dict': 'ChainedScheduler.load_state_dict',
        'state_dict': 'ChainedScheduler.state_dict',
    },
    'torch.optim.lr_scheduler.MultiplicativeLR': {
        'load_state_dict': 'MultiplicativeLR.load_state_dict',
        'state_dict': 'MultiplicativeLR.state_dict',
    },
    'torch.optim.lr_scheduler.SequentialLR': {
        'load_state_dict': 'SequentialLR.load_state_dict',
        'state_dict': 'SequentialLR.state_dict',
    },
    'torch.optim.nadam.NAdam': {
        'step': 'NAdam.step',
    },
    'torch.optim.radam.RAdam': {
        'step': 'RAdam.step',
    },
    'torch.optim.rmsprop.RMSprop': {
        'step': 'RMSprop.step',
    },
    'torch.optim.rprop.Rprop': {
        'step': 'Rprop.step',
    },
    'torch.optim.sgd.SGD': {
        'step': 'SGD.step',
    },
    'torch.optim.sparse_adam.SparseAdam': {
        'step': 'SparseAdam.step',
    },
}
