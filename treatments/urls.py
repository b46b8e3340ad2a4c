from django.urls import path

from treatments import views

app_name = "treatments"

urlpatterns = [
    path("patients/<int:patient_pk>/plans/new/", views.plan_create, name="plan-create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/edit/", views.plan_update, name="plan-update"),
    path("plans/<int:plan_pk>/sessions/new/", views.session_create, name="session-create"),
    path("sessions/to-sign/", views.notes_to_sign, name="notes-to-sign"),
    path("sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("sessions/<int:pk>/edit/", views.session_update, name="session-update"),
    path("sessions/<int:pk>/sign/", views.session_sign, name="session-sign"),
    path("sessions/<int:pk>/addenda/", views.addendum_create, name="addendum-create"),
    path("sessions/<int:pk>/superbill/", views.superbill, name="superbill"),
    path("sessions/<int:pk>/superbill.pdf", views.superbill_pdf_view, name="superbill-pdf"),
    path("sessions/<int:pk>/payments/", views.payment_create, name="payment-create"),
    path("protocols/", views.protocol_list, name="protocol-list"),
    path("points/search/", views.point_search, name="point-search"),
]
