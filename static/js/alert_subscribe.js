/* The subscription form's map: clicking it writes the point's latitude and longitude into the
   form's two fields and chooses "A point on the map". The fields work on their own; the map is
   shown only when this script runs. Tiles come from data-tiles-url; without it the map is
   empty but still gives the point clicked. */
(function () {
  "use strict";
  var element = document.getElementById("subscribe-map");
  if (!element || typeof window.L === "undefined") {
    return;
  }
  var latField = document.getElementById(element.getAttribute("data-lat-field"));
  var lonField = document.getElementById(element.getAttribute("data-lon-field"));
  if (!latField || !lonField) {
    return;
  }
  element.hidden = false;
  var map = window.L.map(element, { scrollWheelZoom: false });
  var tiles = element.getAttribute("data-tiles-url");
  if (tiles) {
    window.L.tileLayer(tiles, {
      attribution: element.getAttribute("data-attribution") || "",
      maxZoom: 18,
    }).addTo(map);
  }
  var marker = null;
  var circle = null;
  var radiusField = document.getElementById("id_radius_m");

  function radius() {
    var value = radiusField ? parseInt(radiusField.value, 10) : 0;
    return isNaN(value) ? 0 : value;
  }

  function show(lat, lon) {
    var point = window.L.latLng(lat, lon);
    if (marker) {
      marker.setLatLng(point);
    } else {
      marker = window.L.marker(point, { keyboard: false }).addTo(map);
    }
    if (circle) {
      circle.setLatLng(point).setRadius(radius());
    } else {
      circle = window.L.circle(point, { radius: radius(), interactive: false }).addTo(map);
    }
  }

  var lat = parseFloat(latField.value);
  var lon = parseFloat(lonField.value);
  if (!isNaN(lat) && !isNaN(lon)) {
    map.setView([lat, lon], 15);
    show(lat, lon);
  } else {
    map.setView([64.5, 12.0], 4);
  }

  map.on("click", function (event) {
    latField.value = event.latlng.lat.toFixed(6);
    lonField.value = event.latlng.lng.toFixed(6);
    show(event.latlng.lat, event.latlng.lng);
    var kind = document.querySelector('input[name="place_kind"][value="point"]');
    if (kind) {
      kind.checked = true;
    }
  });
  if (radiusField) {
    radiusField.addEventListener("input", function () {
      if (circle) {
        circle.setRadius(radius());
      }
    });
  }
})();

/* Suggestions from the address register as the resident types (a <datalist>). Without this
   script the form finds the address when it is sent, and offers a choice if several match. */
(function () {
  "use strict";
  var list = document.getElementById("address-suggestions");
  var input = document.getElementById("id_address");
  if (!list || !input || !window.fetch) {
    return;
  }
  input.setAttribute("list", list.id);
  var timer = null;
  var asked = "";
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var text = input.value.trim();
      if (text.length < 3 || text === asked) {
        return;
      }
      asked = text;
      window
        .fetch(list.getAttribute("data-url") + "?q=" + encodeURIComponent(text), {
          headers: { Accept: "application/json" },
        })
        .then(function (response) {
          return response.ok ? response.json() : { addresses: [] };
        })
        .then(function (data) {
          list.textContent = "";
          data.addresses.forEach(function (label) {
            var option = document.createElement("option");
            option.value = label;
            list.appendChild(option);
          });
        })
        .catch(function () {
          /* No suggestions: the form still finds the address when it is sent. */
        });
    }, 200);
  });
})();
