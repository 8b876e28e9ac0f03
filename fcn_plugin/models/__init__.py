from .checked_encoder_decoder import CheckedEncoderDecoder
from .non_blocking_data_preprocessor import NonBlockingSegDataPreProcessor
from .simple_fcn_head import SimpleFCNHead

__all__ = ['CheckedEncoderDecoder', 'NonBlockingSegDataPreProcessor',
           'SimpleFCNHead']
