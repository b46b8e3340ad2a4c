from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("patients/<int:patient_pk>/appointments/new/", views.appointment_create, name="appointment-create"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment-detail"),
    path("appointments/<int:pk>/move/", views.appointment_move, name="appointment-move"),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment-cancel"),
    path("appointments/<int:pk>/check-in/", views.appointment_check_in, name="appointment-check-in"),
    path("appointments/<int:pk>/no-show/", views.appointment_no_show, name="appointment-no-show"),
    path("appointments/<int:pk>/complete/", views.appointment_complete, name="appointment-complete"),
    path("appointments/<int:pk>/session/", views.appointment_session, name="appointment-session"),
    path("plans/<int:plan_pk>/course/", views.course_book, name="course-book"),
    path("schedule/week/", views.week_view, name="week-view"),
    path("schedule/settings/", views.schedule_settings, name="schedule-settings"),
]
