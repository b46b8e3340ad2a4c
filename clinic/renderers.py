"""The form renderer: Django's own widget templates through Jinja2, the rest through Django's.

Django ships every built-in widget template twice, for its template language and for Jinja2, and
the Jinja2 copies render the same HTML in about a sixth of the time: the session form's ~90
widgets went from 33 to 5 ms (bench/RESULTS.md). Widget templates that exist only for Django's
template language, such as the admin's (its date and related-object widgets), are rendered by it.
"""

from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property


class FormRenderer(Jinja2):
    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.django_templates.get_template(template_name)

    @cached_property
    def django_templates(self) -> DjangoTemplates:
        return DjangoTemplates()
