/* The alert page's map: draws the alert's area (GeoJSON in WGS 84, from the json_script tag
   "alert-area") with Leaflet. The page describes the area in words as well, so the map is
   shown only when this script runs. The background tiles come from data-tiles-url; without it
   the area is drawn alone. */
(function () {
  "use strict";
  var element = document.getElementById("alert-map");
  var source = document.getElementById("alert-area");
  if (!element || !source || typeof window.L === "undefined") {
    return;
  }
  var area = JSON.parse(source.textContent);
  element.hidden = false;
  var map = window.L.map(element, { scrollWheelZoom: false });
  var tiles = element.getAttribute("data-tiles-url");
  if (tiles) {
    window.L.tileLayer(tiles, {
      attribution: element.getAttribute("data-attribution") || "",
      maxZoom: 18,
    }).addTo(map);
  }
  var layer = window.L.geoJSON(area, {
    interactive: false,
    style: { color: "#a4152b", weight: 3, fillColor: "#a4152b", fillOpacity: 0.15 },
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 17 });
})();
