from os.path import *  # expect: QPY011
from .models import *  # expect: QPY011
from os.path import join  # ok: QPY011
import os  # ok: QPY011
from typing import (  # ok: QPY011
    Any,
)
