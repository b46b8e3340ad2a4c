from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("patients/<int:patient_pk>/intake/new/", views.intake_create, name="intake-create"),
    path("patients/<int:patient_pk>/intake/link/", views.intake_link_create, name="intake-link-create"),
    path("intakes/<int:pk>/", views.intake_detail, name="intake-detail"),
    path("intakes/<int:pk>/edit/", views.intake_update, name="intake-update"),
    path("intakes/<int:pk>/assessment/", views.assessment_update, name="assessment-update"),
    path("intakes/<int:pk>/review/", views.intake_review, name="intake-review"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral-detail"),
    path("referrals/<int:pk>/letter.pdf", views.referral_letter, name="referral-letter"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
    path("p/intake/", views.patient_intake, name="patient-intake"),
]
