"""Forms of the manager's enablement pages, one module per area; import from here. They
check the shape of what was typed and hand the services a `data` dict; the business rules
(one source per item, upload checks, quiz shape, unique slugs) stay in enablement.services,
whose errors come back onto the form.
"""

from enablement.forms.certifications import (
    CertificationFilterForm,
    CertificationForm,
    CertificationHolderFilterForm,
)
from enablement.forms.common import AudienceFields, add_service_errors
from enablement.forms.content import DATETIME_FORMAT, ContentFilterForm, ContentItemForm
from enablement.forms.paths import LearningPathFilterForm, LearningPathForm, LearningStepForm

__all__ = [
    "DATETIME_FORMAT",
    "AudienceFields",
    "CertificationFilterForm",
    "CertificationForm",
    "CertificationHolderFilterForm",
    "ContentFilterForm",
    "ContentItemForm",
    "LearningPathFilterForm",
    "LearningPathForm",
    "LearningStepForm",
    "add_service_errors",
]
