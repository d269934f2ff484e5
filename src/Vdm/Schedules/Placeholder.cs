namespace Vdm.Schedules;
internal static class Placeholder { }
