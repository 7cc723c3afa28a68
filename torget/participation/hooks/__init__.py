"""What each part of participation registers with other modules, called from
ParticipationConfig.ready(): search kinds, where a thread about its subjects is shown (to
residents and staff), Min side sections."""
